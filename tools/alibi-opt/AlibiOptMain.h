//===- AlibiOptMain.h - alibi-opt as a library ------------------*- C++ -*-===//
#ifndef EINSUM_TOOLS_ALIBIOPTMAIN_H
#define EINSUM_TOOLS_ALIBIOPTMAIN_H

namespace einsum {

/// Parses the command line and runs the tool: 0 on success, 1 on a user
/// error (reported on stderr).
int alibiOptMain(int argc, char **argv);

} // namespace einsum

#endif // EINSUM_TOOLS_ALIBIOPTMAIN_H

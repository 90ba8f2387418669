//===- alibi-opt.cpp - The EinsumGraph driver -----------------------------===//
#include "tools/alibi-opt/AlibiOptMain.h"

int main(int argc, char **argv) { return einsum::alibiOptMain(argc, argv); }

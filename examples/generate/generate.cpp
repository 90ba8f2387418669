//===- generate.cpp - A model, token by token -----------------------------===//
//
// A small ALiBi language model, BLOOM-shaped (token embeddings, a stack of
// pre-LayerNorm decoder blocks with causal ALiBi attention and grouped-query
// heads, a final LayerNorm, logits against an output matrix), with seeded
// random weights, generating greedily. (BLOOM ties the output matrix to the
// embeddings; with random weights that makes every step pick its input
// token again, so here it is a matrix of its own.)
//
// 1. Two graphs, each with lengths known only at run time: the prefill over
//    ?s prompt tokens, returning the logits and every layer's keys and
//    values; the decode step over one token and every layer's cache of ?p
//    positions, returning the logits and the caches grown by one. Both are
//    optimized at -O3 and compiled through one CompileCache: each is
//    compiled once, whatever the number of tokens.
// 2. The prefill runs on the prompt; then each step feeds the argmax token
//    and the previous step's caches to the decode graph.
// 3. The prefill's logits and the first --check steps' are compared with the
//    same model written as plain loops (DirectDecoder.h), which recomputes
//    the whole sequence at every step without a cache.
//
// Prints the generated tokens, then
//   layers=N prompt=P tokens=T compiles=C prefill_ms=X decode_ms_per_token=Y
// and exits non-zero if a checked step differs.
//
//===----------------------------------------------------------------------===//
#include "examples/generate/DirectDecoder.h"

#include "backends/Backend.h"
#include "backends/CompileCache.h"
#include "ir/Builder.h"
#include "ir/Diagnostic.h"
#include "ir/Verifier.h"
#include "ir/nn/DecoderBlock.h"
#include "passes/PassManager.h"
#include "passes/PassRegistry.h"
#include "passes/Pipeline.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>

using namespace einsum;

namespace {

struct Config {
  int64_t layers = 4, hidden = 128, heads = 8, kvHeads = 2, ffn = 512;
  int64_t vocab = 256, prompt = 16, tokens = 32, check = 3;
  unsigned threads = 0;
  std::string backend = "cpu";
};

/// `--name=N` options; false (after a message) on anything else.
bool parseArgs(int argc, char **argv, Config &c) {
  std::map<std::string, int64_t *> sizes = {
      {"layers", &c.layers}, {"hidden", &c.hidden}, {"heads", &c.heads},
      {"kv-heads", &c.kvHeads}, {"ffn", &c.ffn},     {"vocab", &c.vocab},
      {"prompt", &c.prompt},   {"tokens", &c.tokens}, {"check", &c.check}};
  for (int i = 1; i < argc; ++i) {
    auto [name, value] = llvm::StringRef(argv[i]).split('=');
    if (!name.consume_front("--")) {
      std::fprintf(stderr, "generate: unexpected argument '%s'\n", argv[i]);
      return false;
    }
    if (name == "backend") {
      c.backend = value.str();
      continue;
    }
    int64_t n = 0;
    if (name == "threads" && !value.getAsInteger(10, n) && n >= 0) {
      c.threads = unsigned(n);
      continue;
    }
    auto it = sizes.find(name.str());
    if (it == sizes.end() || value.getAsInteger(10, n) || n < 0 ||
        (n == 0 && name != "tokens" && name != "check")) {
      std::fprintf(stderr,
                   "generate: bad option '%s'; options: --layers, --hidden, "
                   "--heads, --kv-heads, --ffn, --vocab, --prompt, --tokens, "
                   "--check (sizes), --threads, --backend=NAME\n",
                   argv[i]);
      return false;
    }
    *it->second = n;
  }
  return true;
}

nn::DecoderBlockOptions blockOptions(const Config &c) {
  nn::DecoderBlockOptions o;
  o.hidden = c.hidden;
  o.heads = c.heads;
  o.kvHeads = c.kvHeads;
  o.ffn = c.ffn;
  return o;
}

/// The model's parameters, declared with the same names in both graphs so
/// that one set of tensors binds either.
struct Parameters {
  TensorId embedding, lnfGamma, lnfBeta, head;
  std::vector<nn::DecoderBlockWeights> layers;
};

llvm::Expected<Parameters> declareParameters(Graph &g, const Config &c) {
  Parameters p;
  Builder b(g);
  p.embedding = b.parameter("embedding", TensorType::f32({c.vocab, c.hidden}));
  p.lnfGamma = b.parameter("lnf_gamma", TensorType::f32({c.hidden}));
  p.lnfBeta = b.parameter("lnf_beta", TensorType::f32({c.hidden}));
  p.head = b.parameter("lm_head", TensorType::f32({c.vocab, c.hidden}));
  if (llvm::Error err = b.takeError())
    return std::move(err);
  for (int64_t l = 0; l < c.layers; ++l) {
    llvm::Expected<nn::DecoderBlockWeights> w = nn::createDecoderBlockWeights(
        g, blockOptions(c), fmt::format("l{}_", l));
    if (!w)
      return w.takeError();
    p.layers.push_back(*w);
  }
  return p;
}

/// tokens [1, S] -> lm_logits [1, S, V], and with `decode` every layer's
/// cache of ?p positions as inputs past_keys_l, past_values_l; the outputs
/// are the logits, then keys_l and values_l of every layer.
llvm::Expected<Graph> buildModel(const Config &c, bool decode) {
  Graph g(decode ? "decode" : "prefill");
  Builder b(g);
  int64_t seq = decode ? 1 : symbolSize("s");
  TensorId tokens = b.input("tokens", TensorType::i64({1, seq}));
  nn::DecoderBlockOptions o = blockOptions(c);
  std::vector<nn::KvCache> past;
  TensorType cacheType =
      TensorType::f32({1, c.kvHeads, symbolSize("p"), o.headDim()});
  for (int64_t l = 0; decode && l < c.layers; ++l)
    past.push_back({b.input(fmt::format("past_keys_{}", l), cacheType),
                    b.input(fmt::format("past_values_{}", l), cacheType)});
  if (llvm::Error err = b.takeError())
    return std::move(err);
  llvm::Expected<Parameters> p = declareParameters(g, c);
  if (!p)
    return p.takeError();
  TensorId x = b.gather(p->embedding, tokens, 0, "embedded");
  std::vector<TensorId> caches;
  for (int64_t l = 0; l < c.layers; ++l) {
    llvm::Expected<nn::DecoderBlock> blk = nn::buildDecoderBlock(
        g, x, p->layers[l], o,
        decode ? std::optional<nn::KvCache>(past[l]) : std::nullopt);
    if (!blk)
      return blk.takeError();
    x = blk->out;
    caches.push_back(blk->keys);
    caches.push_back(blk->values);
  }
  llvm::Expected<TensorId> h =
      nn::buildLayerNorm(g, x, p->lnfGamma, p->lnfBeta);
  if (!h)
    return h.takeError();
  b.output(b.einsum("bsD,VD->bsV", {*h, p->head}), "lm_logits");
  for (int64_t l = 0; l < c.layers; ++l) {
    b.output(caches[2 * l], fmt::format("keys_{}", l));
    b.output(caches[2 * l + 1], fmt::format("values_{}", l));
  }
  if (llvm::Error err = b.takeError())
    return std::move(err);
  if (llvm::Error err = verify(g))
    return std::move(err);
  PassManager pm;
  pm.addPasses(llvm::cantFail(parsePipeline(optLevelPipeline(3))));
  if (llvm::Error err = pm.run(g))
    return std::move(err);
  return g;
}

/// Seeded weights scaled by 1/sqrt(fan-in), gammas around 1: values of
/// order 1 through every layer. Also their copies in double for the
/// direct model.
struct Weights {
  std::map<std::string, TensorData> tensors;
  direct::Model model;
};

Weights makeWeights(const Graph &g, const Config &c, unsigned seed) {
  Weights w;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  for (TensorId a : g.parameters()) {
    const std::string &name = g.tensor(a).name;
    llvm::StringRef base = llvm::StringRef(name).split('_').second;
    double scale = 0.1, offset = 0;
    if (name == "embedding")
      scale = 1;
    else if (name == "lm_head")
      scale = 1 / std::sqrt(double(c.hidden));
    else if (base == "wqkv" || base == "w1" || base == "wo")
      scale = 1 / std::sqrt(double(c.hidden));
    else if (base == "w2")
      scale = 1 / std::sqrt(double(c.ffn));
    else if (llvm::StringRef(name).ends_with("gamma"))
      scale = 0.5, offset = 1;
    TensorData t(g.type(a));
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.set(i, offset + scale * u(rng));
    w.tensors.emplace(name, std::move(t));
  }
  auto values = [&](const std::string &name) {
    const TensorData &t = w.tensors.at(name);
    direct::Vec v(t.numElements());
    for (int64_t i = 0; i < t.numElements(); ++i)
      v[i] = t.get(i);
    return v;
  };
  w.model.dims = {c.hidden, c.heads, c.kvHeads, c.ffn};
  w.model.vocab = c.vocab;
  w.model.embedding = values("embedding");
  w.model.lnfGamma = values("lnf_gamma");
  w.model.lnfBeta = values("lnf_beta");
  w.model.head = values("lm_head");
  for (int64_t l = 0; l < c.layers; ++l) {
    auto v = [&](llvm::StringRef n) {
      return values(fmt::format("l{}_{}", l, n.str()));
    };
    w.model.layers.push_back({v("ln1_gamma"), v("ln1_beta"), v("wqkv"),
                              v("bqkv"), v("wo"), v("bo"), v("ln2_gamma"),
                              v("ln2_beta"), v("w1"), v("b1"), v("w2"),
                              v("b2")});
  }
  return w;
}

/// Runs `exe` with its arguments taken by name from `named`; returns the
/// outputs in graph order.
llvm::Expected<std::vector<TensorData>>
runNamed(Executable &exe, const std::map<std::string, const TensorData *> &named) {
  std::vector<const TensorData *> in;
  std::vector<TensorType> types;
  for (const std::string &name : exe.argumentNames()) {
    auto it = named.find(name);
    if (it == named.end())
      return makeError(fmt::format("no tensor for argument '{}'", name));
    in.push_back(it->second);
    types.push_back(it->second->type());
  }
  llvm::Expected<std::vector<TensorType>> outTypes = exe.resultTypesFor(types);
  if (!outTypes)
    return outTypes.takeError();
  std::vector<TensorData> out;
  for (const TensorType &t : *outTypes)
    out.emplace_back(t);
  std::vector<TensorData *> outPtrs;
  for (TensorData &t : out)
    outPtrs.push_back(&t);
  if (llvm::Error err = exe.run(in, outPtrs))
    return std::move(err);
  return out;
}

int64_t argmax(const TensorData &logits, int64_t row, int64_t vocab) {
  int64_t best = 0;
  for (int64_t t = 1; t < vocab; ++t)
    if (logits.get(row * vocab + t) > logits.get(row * vocab + best))
      best = t;
  return best;
}

/// The largest |a - b| over row `row` of `ours` against the direct model's
/// row `directRow`, relative to the largest |logit| of that row.
double rowError(const TensorData &ours, int64_t row, const direct::Vec &want,
                int64_t directRow, int64_t vocab) {
  double err = 0, scale = 0;
  for (int64_t t = 0; t < vocab; ++t) {
    double w = want[directRow * vocab + t];
    err = std::max(err, std::abs(ours.get(row * vocab + t) - w));
    scale = std::max(scale, std::abs(w));
  }
  return err / std::max(scale, 1e-30);
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

int fail(llvm::Error err) {
  std::fprintf(stderr, "generate: %s\n", firstMessage(std::move(err)).c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  Config c;
  if (!parseArgs(argc, argv, c))
    return 2;
  registerAllPasses();
  registerBuiltinBackends();
  if (!llvm::is_contained(registeredBackends(), c.backend)) {
    std::fprintf(stderr, "generate: backend '%s' is not built; using "
                         "reference\n",
                 c.backend.c_str());
    c.backend = "reference";
  }

  // 1. The two graphs, compiled through one cache.
  llvm::Expected<Graph> prefill = buildModel(c, false);
  if (!prefill)
    return fail(prefill.takeError());
  llvm::Expected<Graph> decode = buildModel(c, true);
  if (!decode)
    return fail(decode.takeError());
  Weights w = makeWeights(*prefill, c, 1);
  CompileCache cache;
  CompileOptions options;
  options.threads = c.threads;

  // 2. The prompt, then one token at a time.
  std::mt19937_64 rng(2);
  std::vector<int64_t> tokens;
  TensorData prompt(TensorType::i64({1, c.prompt}));
  for (int64_t s = 0; s < c.prompt; ++s) {
    tokens.push_back(int64_t(rng() % uint64_t(c.vocab)));
    prompt.set(s, double(tokens.back()));
  }
  std::map<std::string, const TensorData *> named;
  for (const auto &[name, t] : w.tensors)
    named[name] = &t;
  named["tokens"] = &prompt;

  auto compileStart = std::chrono::steady_clock::now();
  llvm::Expected<std::shared_ptr<Executable>> prefillExe =
      cache.compile(c.backend, *prefill, options);
  if (!prefillExe)
    return fail(prefillExe.takeError());
  double compileMs = msSince(compileStart);
  auto start = std::chrono::steady_clock::now();
  llvm::Expected<std::vector<TensorData>> out = runNamed(**prefillExe, named);
  if (!out)
    return fail(out.takeError());
  double prefillMs = msSince(start);

  // 3a. The prefill against the direct model, every position.
  bool ok = true;
  if (c.check > 0) {
    direct::Vec want = w.model.logits(tokens);
    double worst = 0;
    for (int64_t s = 0; s < c.prompt; ++s)
      worst = std::max(worst, rowError((*out)[0], s, want, s, c.vocab));
    std::printf("prefill: %lld positions, max relative error vs direct loops "
                "%.2e\n",
                (long long)c.prompt, worst);
    ok &= worst < 1e-3;
  }

  std::vector<TensorData> state = std::move(*out);
  TensorData token(TensorType::i64({1, 1}));
  double decodeMs = 0;
  std::string generated;
  for (int64_t step = 0; step < c.tokens; ++step) {
    int64_t row = step == 0 ? c.prompt - 1 : 0;
    tokens.push_back(argmax(state[0], row, c.vocab));
    generated += (generated.empty() ? "" : " ") + std::to_string(tokens.back());
    token.set(0, double(tokens.back()));
    named["tokens"] = &token;
    for (int64_t l = 0; l < c.layers; ++l) {
      named[fmt::format("past_keys_{}", l)] = &state[1 + 2 * l];
      named[fmt::format("past_values_{}", l)] = &state[2 + 2 * l];
    }
    compileStart = std::chrono::steady_clock::now();
    llvm::Expected<std::shared_ptr<Executable>> exe =
        cache.compile(c.backend, *decode, options);
    if (!exe)
      return fail(exe.takeError());
    compileMs += msSince(compileStart);
    start = std::chrono::steady_clock::now();
    llvm::Expected<std::vector<TensorData>> next = runNamed(**exe, named);
    if (!next)
      return fail(next.takeError());
    decodeMs += msSince(start);
    // 3b. The first steps against the whole sequence recomputed directly.
    if (step < c.check) {
      direct::Vec want = w.model.logits(tokens);
      double err = rowError((*next)[0], 0, want,
                            int64_t(tokens.size()) - 1, c.vocab);
      std::printf("step %lld: %zu positions, max relative error vs direct "
                  "loops %.2e\n",
                  (long long)step, tokens.size(), err);
      ok &= err < 1e-3;
    }
    state = std::move(*next);
  }
  std::printf("generated: %s\n", generated.c_str());
  std::printf("layers=%lld prompt=%lld tokens=%lld compiles=%llu "
              "prefill_ms=%.3f decode_ms_per_token=%.3f compile_ms=%.1f "
              "backend=%s\n",
              (long long)c.layers, (long long)c.prompt, (long long)c.tokens,
              (unsigned long long)cache.misses(), prefillMs,
              c.tokens ? decodeMs / double(c.tokens) : 0.0, compileMs,
              c.backend.c_str());
  if (!ok) {
    std::fprintf(stderr, "generate: a checked step differs from the direct "
                         "loops by more than 1e-3 of its largest logit\n");
    return 1;
  }
  return 0;
}

using Peerz.Bench.Ledger;
using Peerz.Bench.Model;
using Peerz.Bench.Nat;
using Peerz.Bench.P2P;
using Peerz.Bench.Pipeline;
using Peerz.Bench.Serving;
using Peerz.Bench.Settlement;
using Peerz.Bench.Verification;

// Benchmarks are run by hand (never by the test command); results go to docs/benchmarks.md.
var suites = new Dictionary<string, Func<string[], Task>>
{
    ["model"] = ModelBenchmark.RunAsync,
    ["quantized-decode"] = QuantizedDecodeBenchmark.RunAsync,
    ["architectures"] = ArchitecturesBenchmark.RunAsync,
    ["p2p"] = P2PBenchmark.RunAsync,
    ["relay"] = RelayBenchmark.RunAsync,
    ["reachability"] = ReachabilityBenchmark.RunAsync,
    ["ledger"] = LedgerBenchmark.RunAsync,
    ["verification"] = VerificationBenchmark.RunAsync,
    ["settlement"] = SettlementBenchmark.RunAsync,
    ["pipeline"] = PipelineBenchmark.RunAsync,
    ["batching"] = BatchingBenchmark.RunAsync,
    ["lora-session"] = TunedSessionBenchmark.RunLoraAsync,
    ["prompt-session"] = TunedSessionBenchmark.RunPromptsAsync,
    ["speculative-text"] = SpeculativeTextBenchmark.RunAsync,
    ["tolerance"] = ToleranceCalibration.RunAsync,
};

if (args.Length == 0 || !suites.TryGetValue(args[0], out var suite))
{
    Console.Error.WriteLine($"usage: dotnet run -c Release --project bench/Peerz.Bench -- <{string.Join("|", suites.Keys)}> [options]");
    return 2;
}
await suite(args[1..]);
return 0;

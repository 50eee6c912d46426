using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Peerz.Chain.Crypto;
using Peerz.Testing.Processes;

namespace Peerz.Integration.Tests.Chaos;

/// <summary>
/// The paying load: several `peerz generate` clients, each its own account and ledger, generating one after another
/// (so a client's new receipts belong to its current run), and concurrent greedy completions through the paying
/// gateway. Every generation is bounded in time and compared with the same generation run locally (every block in
/// one process). Loops stop when <c>stop</c> is cancelled; a generation under way finishes (within its bound).
/// </summary>
public sealed class ChaosLoad(ChaosNetwork network, IReadOnlyList<string> prompts, int maxNewTokens, int seed)
{
    /// <summary>A generation that takes longer than this counts as hung.</summary>
    public static readonly TimeSpan GenerationBound = TimeSpan.FromSeconds(150);

    private readonly ConcurrentQueue<GenerationOutcome> _outcomes = new();
    private readonly Dictionary<string, string> _expectedGenerate = [];
    private readonly Dictionary<string, string> _expectedGateway = [];
    private int _inFlight;
    private int _maxInFlight;
    private long _inFlightTicks;

    public IReadOnlyCollection<GenerationOutcome> Outcomes => _outcomes;

    public int MaxConcurrentSessions => _maxInFlight;

    /// <summary>Time-weighted mean of generations in flight, over <paramref name="wall"/>.</summary>
    public double MeanConcurrentSessions(TimeSpan wall) => (double)Interlocked.Read(ref _inFlightTicks) / wall.Ticks;

    /// <summary>The reference texts: `peerz generate --local` per prompt, and the local gateway's greedy completion per prompt.</summary>
    public async Task ComputeReferencesAsync()
    {
        using var http = new HttpClient { Timeout = GenerationBound };
        foreach (var prompt in prompts)
        {
            using var local = PeerzProcess.Start(ChaosNetwork.PeerzDll,
                ["generate", "--local", "--model", network.Model, "--model-id", ChaosNetwork.ModelId, "--prompt", prompt, "--max-new-tokens", $"{maxNewTokens}"]);
            Assert.True(await local.WaitForExitAsync(GenerationBound) == 0, local.Output);
            _expectedGenerate[prompt] = local.StandardOutput;
            var (status, body) = await CompleteAsync(http, network.LocalGatewayUrl, prompt);
            Assert.True(status == 200, body);
            _expectedGateway[prompt] = Text(body);
        }
    }

    public Task RunGenerateClientAsync(string name, EthKey key, string ledger, CancellationToken stop) => Task.Run(async () =>
    {
        var random = new Random(seed ^ StableHash(name));
        var cheater = network.Cheater.Key.Address.ToString();
        for (var run = 0; !stop.IsCancellationRequested && run < 10_000; run++)
        {
            var prompt = prompts[random.Next(prompts.Count)];
            var cheaterReceipts = LedgerAudit.ReceiptCount(ledger, cheater);
            var started = DateTime.UtcNow;
            var clock = Stopwatch.StartNew();
            Enter();
            using var generate = PeerzProcess.Start(ChaosNetwork.PeerzDll,
                ["generate", .. network.ClientArguments(key, ledger), "--prompt", prompt, "--max-new-tokens", $"{maxNewTokens}"]);
            int? exit;
            try
            {
                exit = await generate.WaitForExitAsync(GenerationBound);
            }
            catch (TimeoutException)
            {
                exit = null;
            }
            finally
            {
                Leave(clock.Elapsed);
            }
            var output = generate.Output;
            var viaCheater = output.Contains(network.Cheater.PeerId[^8..], StringComparison.Ordinal) || LedgerAudit.ReceiptCount(ledger, cheater) > cheaterReceipts;
            var kind = exit switch
            {
                null => OutcomeKind.Hung,
                0 when generate.StandardOutput == _expectedGenerate[prompt] => OutcomeKind.Identical,
                0 => viaCheater ? OutcomeKind.Cheated : OutcomeKind.Differed,
                _ => output.Split('\n').Any(l => l.StartsWith("error: ", StringComparison.Ordinal)) && !output.Contains("Unhandled exception", StringComparison.Ordinal)
                    ? OutcomeKind.FailedClearly
                    : OutcomeKind.FailedUnclearly,
            };
            _outcomes.Enqueue(new GenerationOutcome(name, kind, started, clock.Elapsed,
                kind == OutcomeKind.Identical ? "" : $"exit {exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}; expected '{_expectedGenerate[prompt]}'; output:\n{output}"));
        }
    }, CancellationToken.None); // stop ends the loop between generations; one under way finishes

    public Task RunGatewayClientAsync(string name, CancellationToken stop) => Task.Run(async () =>
    {
        var random = new Random(seed ^ StableHash(name));
        using var http = new HttpClient { Timeout = GenerationBound };
        var cheater = network.Cheater.Key.Address.ToString();
        for (var run = 0; !stop.IsCancellationRequested && run < 10_000; run++)
        {
            var prompt = prompts[random.Next(prompts.Count)];
            var cheaterReceipts = LedgerAudit.ReceiptCount(network.Gateway.Ledger, cheater);
            var started = DateTime.UtcNow;
            var clock = Stopwatch.StartNew();
            Enter();
            OutcomeKind kind;
            string detail;
            try
            {
                var (status, body) = await CompleteAsync(http, network.GatewayUrl, prompt);
                // Requests run concurrently through one ledger: a new cheater receipt in this request's window may be
                // another request's, so it marks this one as possibly served by the cheater (never the other way).
                var viaCheater = body.Contains(network.Cheater.PeerId[^8..], StringComparison.Ordinal) || LedgerAudit.ReceiptCount(network.Gateway.Ledger, cheater) > cheaterReceipts;
                (kind, detail) = status switch
                {
                    200 when Text(body) == _expectedGateway[prompt] => (OutcomeKind.Identical, ""),
                    200 => (viaCheater ? OutcomeKind.Cheated : OutcomeKind.Differed, $"expected '{_expectedGateway[prompt]}', got {body}"),
                    _ => (body.Contains("\"error\"", StringComparison.Ordinal) ? OutcomeKind.FailedClearly : OutcomeKind.FailedUnclearly, $"HTTP {status}: {body}"),
                };
            }
            catch (TaskCanceledException e)
            {
                (kind, detail) = (OutcomeKind.Hung, e.Message);
            }
            catch (HttpRequestException e)
            {
                // The gateway process is down (killed by the schedule) or died mid-answer: the client is told at once.
                (kind, detail) = (OutcomeKind.FailedClearly, e.Message);
                await Task.Delay(500, CancellationToken.None);
            }
            finally
            {
                Leave(clock.Elapsed);
            }
            _outcomes.Enqueue(new GenerationOutcome(name, kind, started, clock.Elapsed, detail));
        }
    }, CancellationToken.None);

    private async Task<(int Status, string Body)> CompleteAsync(HttpClient http, string gateway, string prompt)
    {
        using var response = await http.PostAsJsonAsync(new Uri(new Uri(gateway), "/v1/completions"),
            new { model = ChaosNetwork.ModelId, prompt, max_tokens = maxNewTokens, temperature = 0 });
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Text(string body) => JsonNode.Parse(body)!["choices"]![0]!["text"]!.GetValue<string>();

    /// <summary>A hash of the client's name that is the same in every run (string.GetHashCode is randomized per process), so the seed replays the prompts.</summary>
    private static int StableHash(string name) => name.Aggregate(17, (h, c) => (h * 31) + c);

    private void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        for (var max = _maxInFlight; now > max; max = _maxInFlight)
            if (Interlocked.CompareExchange(ref _maxInFlight, now, max) == max) break;
    }

    private void Leave(TimeSpan elapsed)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Add(ref _inFlightTicks, elapsed.Ticks);
    }
}

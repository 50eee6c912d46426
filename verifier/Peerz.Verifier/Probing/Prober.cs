using Microsoft.Extensions.Logging;
using Peerz.Chain.Primitives;
using Peerz.Client;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Client.Training;
using Peerz.Discovery;
using Peerz.Model.Client;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Payments;
using Peerz.Settlement.Http;
using Peerz.Verifier.Sampling;
using Peerz.Verifier.Verification;
using static TorchSharp.torch;

namespace Peerz.Verifier.Probing;

/// <summary>
/// The verifier acting as an ordinary paying client, so a provider that answers honestly only to the verifier is caught
/// too: each probe pays from a fresh, unlinkable key (<see cref="ProbeWallets"/>), goes through the same routing clients
/// use (random tie-breaking over the swarm, all blocks of the model), takes its kind and size from recent real traffic
/// (<see cref="TrafficShapes"/>: inference sessions with decode steps, or forward requests), and feeds the model's own token
/// embeddings (a random prompt, then greedy decoding), never random noise. Every receipt it pays for is checked, and,
/// like any paying client's, first reported to settlement (<paramref name="reportTo"/>): the work was done and paid for,
/// and settlement takes the verifier's report on a receipt only once it knows the receipt.
/// </summary>
public sealed class Prober(IProviderDirectory directory, IProviderConnector connector, ProbeWallets wallets, TrafficShapes traffic, ClientHead head, VerifierService verifier,
    string modelId, Random random, ILoggerFactory loggerFactory, IReadOnlyList<SettlementClient>? reportTo = null)
{
    private static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Longest probe, in positions: beyond this real traffic is rare and the probe would cost more than it tells.</summary>
    private const int MaxPositions = 512;

    private readonly ILogger _logger = loggerFactory.CreateLogger<Prober>();

    public async Task<ProbeResult> ProbeOnceAsync(CancellationToken cancellationToken)
    {
        var payments = await wallets.NextAsync(cancellationToken);
        var shape = traffic.Draw(random);
        var paid = new List<PaymentRecord>();
        void Collect(PaymentRecord record)
        {
            lock (paid) paid.Add(record);
        }
        payments.Paid += Collect;
        string detail;
        try
        {
            detail = shape.Kind == WorkKind.Inference ? await GenerateAsync(payments, shape, cancellationToken) : await ForwardAsync(payments, shape, cancellationToken);
        }
        catch (Exception e) when (e is IOException or TimeoutException or PeerzRequestException or ProtocolViolationException or NoRouteException)
        {
            _logger.LogInformation("probe failed: {Error}", e.Message);
            detail = $"the probe failed: {e.Message}";
        }
        finally
        {
            payments.Paid -= Collect;
        }
        // The last receipt of each session covers every step before it (the verifier replays the whole session).
        var receipts = paid.GroupBy(p => Hex.Encode(p.Receipt.Receipt.SessionId)).Select(g => g.MaxBy(p => p.Receipt.Receipt.Step)!.Receipt).ToList();
        foreach (var record in paid) await ReportAsync(record.Receipt, cancellationToken);
        var checks = new List<(SignedReceipt, VerificationOutcome?)>();
        foreach (var receipt in receipts) checks.Add((receipt, await verifier.CheckAsync(receipt, cancellationToken)));
        return new ProbeResult(shape, checks, detail);
    }

    private async Task ReportAsync(SignedReceipt receipt, CancellationToken cancellationToken)
    {
        foreach (var settlement in reportTo ?? [])
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(ReportTimeout);
                await settlement.ReportReceiptAsync(receipt.Receipt, receipt.Signature, timeout.Token);
            }
            catch (Exception e) when (e is HttpRequestException or SettlementException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                _logger.LogInformation("settlement did not take a probe receipt: {Error}", e.Message);
            }
        }
    }

    private async Task<string> GenerateAsync(ClientPayments payments, ProbeShape shape, CancellationToken cancellationToken)
    {
        var prompt = Math.Clamp(shape.Tokens, 1, MaxPositions - 1);
        var steps = Math.Min(shape.DecodeSteps, MaxPositions - prompt);
        var pipeline = new DistributedBlockPipeline(Span(), directory, connector, Planner(), new RemoteCallOptions(), loggerFactory.CreateLogger<DistributedBlockPipeline>(), payments: payments);
        await using var session = await pipeline.OpenSessionAsync(1, prompt + steps, cancellationToken);
        var next = RandomTokens(prompt);
        for (var step = 0; step <= steps; step++)
        {
            using var input = head.EmbedSequence(next);
            using var output = await session.StepAsync(input, cancellationToken);
            next = [Greedy(output)];
        }
        return $"an inference session of {prompt} prompt tokens and {steps} decode steps";
    }

    private async Task<string> ForwardAsync(ClientPayments payments, ProbeShape shape, CancellationToken cancellationToken)
    {
        var length = Math.Clamp(shape.Tokens, 1, MaxPositions);
        var pipeline = new DistributedTrainingPipeline(Span(), directory, connector, Planner(), new RemoteCallOptions(), loggerFactory.CreateLogger<DistributedTrainingPipeline>(),
            maxProvidersPerHop: 1, seed: random.Next(), payments: payments);
        using var hidden = head.EmbedSequence(RandomTokens(length));
        using var pass = await pipeline.ForwardAsync(hidden, null, null, cancellationToken);
        return $"a forward request of {length} tokens";
    }

    private SpanRequest Span() => new(modelId, 0, head.Config.NumLayers);

    private RoutePlanner Planner() => new(connector.RoundTrip, new Random(random.Next()));

    private int[] RandomTokens(int count) => Enumerable.Range(0, count).Select(_ => random.Next(head.Config.VocabSize)).ToArray();

    /// <summary>The model's most likely next token after the last position (what a greedy client sends next).</summary>
    private int Greedy(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return (int)head.Logits(hidden.narrow(1, hidden.shape[1] - 1, 1)).argmax(-1).item<long>();
    }
}

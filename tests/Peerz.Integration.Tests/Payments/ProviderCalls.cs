using System.Numerics;
using Google.Protobuf;
using Peerz.Chain.Crypto;
using Peerz.Discovery;
using Peerz.Node.Protocols;
using Peerz.Protocol.Framing;
using Peerz.Protocol.Payments;
using Peerz.Protocol.Tensors;
using Peerz.Protocol.Wire;
using Peerz.Testing.Chain;
using static TorchSharp.torch;
using Voucher = Peerz.Chain.Contracts.Voucher;

namespace Peerz.Integration.Tests.Payments;

/// <summary>Raw protocol calls to a paid provider, as a client that does not use the client library (or cheats) would make them.</summary>
internal static class ProviderCalls
{
    public static ProviderRecord Record(PaidProviderHost host) => new()
    {
        PeerId = host.Node.PeerId.ToString(),
        ModelId = "tiny",
        Start = host.Served.Blocks.Start,
        End = host.Served.Blocks.End,
        Account = host.Payments.Options.Account.ToString(),
        Addresses = host.Node.ListenAddresses.Select(a => a.ToString()).ToList(),
        DType = host.Served.ServingMode.DType,
        Quantization = host.Served.ServingMode.Quantization,
    };

    public static Protocol.Wire.Voucher Voucher(PeerzDevnet devnet, EthKey client, PaidProviderHost host, BigInteger cumulative, BigInteger nonce) =>
        SignedVoucher.Sign(new Voucher(client.Address, host.Payments.Options.Account, cumulative, nonce), client, devnet.Deployment.ChainId, devnet.Deployment.Escrow).ToWire();

    /// <summary>A forward request of <paramref name="tokens"/> zero hidden states through the host's whole span.</summary>
    public static ForwardRequest Forward(PaidProviderHost host, int tokens, Protocol.Wire.Voucher? voucher)
    {
        using var hidden = zeros([1, tokens, host.Served.Blocks.Config.HiddenSize]);
        var request = new ForwardRequest
        {
            ModelId = "tiny",
            BlockStart = (uint)host.Served.Blocks.Start,
            BlockEnd = (uint)host.Served.Blocks.End,
            Hidden = TensorCodec.Encode(hidden, TensorCompression.None),
        };
        if (voucher is not null) request.Voucher = voucher;
        return request;
    }

    public static async Task<TResponse> CallAsync<TResponse>(SwarmClient swarm, PaidProviderHost host, string protocolId, IMessage request, MessageParser<TResponse> parser)
        where TResponse : class, IMessage<TResponse>
    {
        await using var stream = await swarm.OpenStreamAsync(Record(host), protocolId, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await DelimitedMessages.WriteAsync(stream, request, timeout.Token);
        return await DelimitedMessages.ReadAsync(stream, parser, PayloadLimits.MaxFrameBytes, timeout.Token) ?? throw new EndOfStreamException();
    }

    public static Task<ForwardResponse> ForwardAsync(SwarmClient swarm, PaidProviderHost host, ForwardRequest request) =>
        CallAsync(swarm, host, PeerzProtocolIds.Forward, request, ForwardResponse.Parser);
}

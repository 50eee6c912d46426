using System.Net.Sockets;
using Peerz.Client.Payments;
using Peerz.Client.Remote;
using Peerz.Client.Routing;
using Peerz.Discovery;
using Peerz.Protocol.Wire;

namespace Peerz.Gateway;

/// <summary>
/// What the swarm's failures mean to an API caller, as OpenAI-format errors whose status says whose move it is: 503 no
/// provider serves a block (wait, or start one), 402 a provider wants payment the gateway's wallet cannot make (deposit),
/// 502 the providers failed after the client's replays. Anything else is a bug and stays an exception.
/// </summary>
public static class SwarmErrors
{
    public static OpenAiError? From(Exception exception) => exception switch
    {
        NoRouteException => new OpenAiError(503, $"{exception.Message}; wait for a provider to join or start one", type: "no_route"),
        // The wallet's own refusal already says what to do; a provider's does not.
        PaymentException { ClientMustFix: true } => new OpenAiError(402, $"payment required: {exception.Message}", type: "payment_required"),
        PeerzRequestException { Code: ErrorCode.PaymentRequired } =>
            new OpenAiError(402, $"payment required: {exception.Message} (deposit PRZ into the escrow for the gateway's wallet: peerz deposit)", type: "payment_required"),
        PeerzRequestException or PaymentException or SwarmUnreachableException or IOException or SocketException or TimeoutException =>
            new OpenAiError(502, $"the swarm did not complete the request: {exception.Message}", type: "swarm_error"),
        _ => null,
    };
}

using Microsoft.Extensions.Logging;
using Peerz.Protocol.Wire;

namespace Peerz.Node.Protocols;

/// <summary>
/// The serving path's log messages, source-generated (no boxing or template parsing per step) with stable event ids
/// (1000s: inference sessions and steps) that operators can filter on.
/// </summary>
internal static partial class ServingLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "session {Session} opened by {Peer}: blocks [{Start}, {End}), max length {MaxLength}")]
    public static partial void SessionOpened(ILogger logger, string session, string peer, uint start, uint end, uint maxLength);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "session {Session} closed after {Positions} positions")]
    public static partial void SessionClosed(ILogger logger, string session, long positions);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "step {Step} of session {Session} served at position {Position} (pushed: {Pushed})")]
    public static partial void StepServed(ILogger logger, ulong step, string session, uint position, bool pushed);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "pushed input of step {Step} does not fit the step; awaiting the client's relay")]
    public static partial void PushedInputMismatch(ILogger logger, ulong step);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "inference request refused: {Code} {Message}")]
    public static partial void Refused(ILogger logger, ErrorCode code, string message);
}

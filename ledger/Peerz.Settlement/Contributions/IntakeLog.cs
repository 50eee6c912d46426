using Microsoft.Extensions.Logging;
using Peerz.Chain.Contracts;
using Peerz.Chain.Crypto;

namespace Peerz.Settlement.Contributions;

/// <summary>Settlement intake's log messages, source-generated with stable event ids (3100s: receipts and verifications taken).</summary>
internal static partial class IntakeLog
{
    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Receipt {Digest} of {Provider} for {Client}: {Amount} wei of {Role} in epoch {Epoch}{Duplicate}")]
    public static partial void ReceiptTaken(ILogger logger, string digest, Address provider, Address client, System.Numerics.BigInteger amount, RewardRole role, long epoch,
        string duplicate);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Verification of receipt {Digest} by {Verifier} in epoch {Epoch}{Duplicate}")]
    public static partial void VerificationTaken(ILogger logger, string digest, Address verifier, long epoch, string duplicate);
}

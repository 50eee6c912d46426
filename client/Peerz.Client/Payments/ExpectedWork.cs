using Peerz.Protocol.Payments;

namespace Peerz.Client.Payments;

/// <summary>What the client asked for and got back; the provider's receipt must state exactly this.</summary>
public sealed record ExpectedWork(WorkKind Kind, byte[] SessionId, ulong Step, string ModelId, int BlockStart, int BlockEnd, byte[] Input, byte[] Output, long Tokens);

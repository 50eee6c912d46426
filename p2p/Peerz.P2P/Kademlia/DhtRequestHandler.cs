using Microsoft.Extensions.Logging;
using Peerz.P2P.Kademlia.Records;
using Peerz.P2P.Kademlia.Routing;
using Peerz.P2P.Kademlia.Wire;

namespace Peerz.P2P.Kademlia;

/// <summary>
/// Serves inbound DHT streams: reads length-prefixed requests until the remote closes, answers each
/// (kad-dht spec, "RPC messages"). Malformed or oversized messages, invalid records and idle streams
/// close that stream with a log line; nothing a peer sends can fault the node.
/// </summary>
internal sealed class DhtRequestHandler(
    IDhtNetwork network,
    KademliaOptions options,
    RoutingTable routing,
    RecordStore records,
    ProviderStore providers,
    Action<byte[]> offerPeer,
    ILogger logger)
{
    public async Task HandleStreamAsync(byte[] remotePeer, Stream stream, CancellationToken ct)
    {
        var peerText = Convert.ToHexString(remotePeer);
        try
        {
            while (true)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(options.RequestTimeout);
                var request = await DhtMessageFraming.ReadAsync(stream, options.MaxMessageSize, timeout.Token).ConfigureAwait(false);
                if (request is null)
                    return;
                if (network.GetAddresses(remotePeer).Count > 0)
                    offerPeer(remotePeer);
                var response = Handle(remotePeer, request);
                if (response is not null)
                    await DhtMessageFraming.WriteAsync(stream, response, options.MaxMessageSize, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (DhtProtocolException e)
        {
            logger.LogWarning("Closing DHT stream from {Peer}: malformed message: {Error}", peerText, e.Message);
        }
        catch (InvalidRecordException e)
        {
            logger.LogWarning("Closing DHT stream from {Peer}: rejected record: {Error}", peerText, e.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            logger.LogInformation("Closing DHT stream from {Peer}: no request within {Timeout}", peerText, options.RequestTimeout);
        }
        catch (IOException e)
        {
            logger.LogDebug("DHT stream from {Peer} failed: {Error}", peerText, e.Message);
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private DhtMessage? Handle(byte[] remotePeer, DhtMessage request)
    {
        if (request.Type != DhtMessageType.Ping && request.Key.Length == 0)
            throw new DhtProtocolException($"{request.Type} request without a key");
        switch (request.Type)
        {
            case DhtMessageType.FindNode:
                return new DhtMessage(DhtMessageType.FindNode, request.Key, CloserPeers: FindNodePeers(remotePeer, request.Key));
            case DhtMessageType.GetValue:
                var stored = records.Get(request.Key);
                var record = stored is null ? null : new DhtRecord(stored.Key, stored.Value, stored.ReceivedAt.ToString("O"));
                return new DhtMessage(DhtMessageType.GetValue, request.Key, record, CloserPeers(remotePeer, request.Key));
            case DhtMessageType.PutValue:
                if (request.Record is null || !request.Record.Key.AsSpan().SequenceEqual(request.Key))
                    throw new DhtProtocolException("PUT_VALUE without a record for the message key");
                records.Put(request.Record.Key, request.Record.Value);
                return request;
            case DhtMessageType.AddProvider:
                AddProviders(remotePeer, request);
                return null;
            case DhtMessageType.GetProviders:
                return new DhtMessage(DhtMessageType.GetProviders, request.Key,
                    CloserPeers: CloserPeers(remotePeer, request.Key), ProviderPeers: providers.Get(request.Key));
            case DhtMessageType.Ping:
                return request;
            default:
                throw new DhtProtocolException($"unsupported DHT message type {request.Type}");
        }
    }

    /// <summary>Peers may only announce themselves (spec: "the provider is the sender"); other entries are ignored.</summary>
    private void AddProviders(byte[] remotePeer, DhtMessage request)
    {
        foreach (var provider in request.ProviderPeers)
        {
            if (!provider.Id.AsSpan().SequenceEqual(remotePeer))
                continue;
            if (provider.Addresses.Count > 0)
                network.AddAddresses(provider.Id, provider.Addresses);
            var addresses = provider.Addresses.Count > 0 ? provider.Addresses : network.GetAddresses(provider.Id);
            providers.Add(request.Key, provider with { Addresses = addresses });
        }
    }

    /// <summary>FIND_NODE for our own id includes ourselves, as js-libp2p does, so a dialer learns our addresses.</summary>
    private List<DhtPeerInfo> FindNodePeers(byte[] remotePeer, byte[] key)
    {
        var peers = CloserPeers(remotePeer, key);
        if (key.AsSpan().SequenceEqual(network.LocalPeerId))
            peers.Insert(0, new DhtPeerInfo(network.LocalPeerId, network.LocalAddresses));
        return peers;
    }

    internal List<DhtPeerInfo> CloserPeers(byte[] remotePeer, byte[] key)
    {
        var result = new List<DhtPeerInfo>();
        foreach (var entry in routing.NearestPeers(KadKey.FromKey(key), options.K + 1))
        {
            if (entry.PeerId.AsSpan().SequenceEqual(remotePeer) || result.Count == options.K)
                continue;
            var addresses = network.GetAddresses(entry.PeerId);
            if (addresses.Count > 0)
                result.Add(new DhtPeerInfo(entry.PeerId, addresses));
        }
        return result;
    }
}

using System.CommandLine;
using Peerz.Chain.Crypto;
using Peerz.Chain.Rpc;
using Peerz.Hosting;
using Peerz.Hosting.Chain;
using Peerz.Hosting.Wallets;

namespace Peerz.Cli.Commands;

/// <summary>The chain and wallet options every on-chain command takes, and turning them into a connection.</summary>
public sealed class ChainCommandOptions
{
    public Option<string?> RpcUrl { get; } = ChainOptions.RpcUrl();

    public Option<string?> Deployment { get; } = ChainOptions.Deployment();

    public Option<string> Keystore { get; } = WalletOptions.Keystore();

    public Option<string?> PasswordFile { get; } = WalletOptions.PasswordFile();

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(RpcUrl);
        command.Options.Add(Deployment);
        command.Options.Add(Keystore);
        command.Options.Add(PasswordFile);
    }

    /// <summary>A connection that signs with the keystore's key.</summary>
    public async Task<ChainConnection> ConnectAsync(LayeredSettings settings, ParseResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var chain = Chain(settings, result);
        var key = WalletLoader.ForConsole().Load(settings.Get(result, Keystore), settings.Get(result, PasswordFile));
        return await ChainConnection.ConnectAsync(chain, key, cancellationToken);
    }

    /// <summary>A read-only connection (no password needed).</summary>
    public Task<ChainConnection> ConnectReadOnlyAsync(LayeredSettings settings, ParseResult result, CancellationToken cancellationToken) =>
        ChainConnection.ConnectAsync(Chain(settings, result), null, cancellationToken);

    public ChainSettings Chain(LayeredSettings settings, ParseResult result) =>
        ChainOptions.Resolve(settings, result, RpcUrl, Deployment) ?? throw new UserErrorException("this command needs --rpc-url and --deployment (or PEERZ_RPC_URL and PEERZ_DEPLOYMENT)");

    /// <summary>Runs a transaction step, turning a revert into one readable line.</summary>
    public static async Task<TransactionReceipt> SendAsync(string what, Func<Task<TransactionReceipt>> send)
    {
        ArgumentNullException.ThrowIfNull(send);
        try
        {
            return await send();
        }
        catch (ContractRevertException e)
        {
            throw new UserErrorException($"{what} failed: {e.Message}");
        }
        catch (Exception e) when (e is RpcException or TimeoutException)
        {
            throw new UserErrorException($"{what} was not sent or not mined: {e.Message}");
        }
    }

    /// <summary>A PRZ amount typed by the user, exactly in wei; zero is refused (the contracts would revert ZeroAmount).</summary>
    public static System.Numerics.BigInteger PositiveAmount(string text)
    {
        var wei = PrzAmount.ParseToWei(text, "AMOUNT");
        return wei.IsZero ? throw new UserErrorException("AMOUNT must be more than zero") : wei;
    }

    public static Address ParseAddress(string text, string what) =>
        Address.TryParse(text, out var address) ? address : throw new UserErrorException($"{what} '{text}' is not a 0x address");
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Peerz.Settlement.Hosting;

/// <summary>Registers peerz-settle in a host: its options (validated when the host starts) and <see cref="SettlementHostedService"/>.</summary>
public static class SettlementServiceCollectionExtensions
{
    public static IServiceCollection AddPeerzSettlement(this IServiceCollection services, Action<SettlementOptions> configure, ISettlementChainConnector connector,
        SettlementHooks? hooks = null)
    {
        services.AddOptions<SettlementOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SettlementOptions>, SettlementOptionsValidator>());
        services.AddSingleton(connector);
        if (hooks is not null) services.AddSingleton(hooks);
        services.AddSingleton<SettlementHostedService>();
        services.AddHostedService(sp => sp.GetRequiredService<SettlementHostedService>());
        return services;
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Peerz.Hosting;

/// <summary>
/// Resolves an option's value with the precedence users expect: a flag on the command line, then
/// the environment (PEERZ_CACHE_BYTES for --cache-bytes), then the config file (--config or
/// PEERZ_CONFIG; a flat JSON object keyed by option name, e.g. {"cache-bytes": 1073741824}),
/// then the option's default.
/// </summary>
public sealed class LayeredSettings
{
    public const string EnvironmentPrefix = "PEERZ_";

    private readonly IReadOnlyDictionary<string, string> _file;
    private readonly Func<string, string?> _environment;

    private LayeredSettings(IReadOnlyDictionary<string, string> file, Func<string, string?> environment)
    {
        _file = file;
        _environment = environment;
    }

    public static LayeredSettings Load(string? configFile, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        configFile ??= environment(EnvironmentPrefix + "CONFIG");
        return new LayeredSettings(configFile is null ? new Dictionary<string, string>() : ReadFile(configFile), environment);
    }

    public T Get<T>(ParseResult result, Option<T> option)
    {
        var parsed = result.GetResult(option);
        if (parsed is { Implicit: false }) return result.GetValue(option)!;
        var key = option.Name.TrimStart('-');
        var raw = _environment(EnvironmentPrefix + key.Replace('-', '_').ToUpperInvariant()) ?? _file.GetValueOrDefault(key);
        return raw is null ? result.GetValue(option)! : Convert<T>(raw, key);
    }

    private static T Convert<T>(string raw, string key)
    {
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        try
        {
            if (type == typeof(string)) return (T)(object)raw;
            if (type == typeof(string[])) return (T)(object)raw.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (type == typeof(bool)) return (T)(object)bool.Parse(raw);
            if (type.IsEnum) return (T)Enum.Parse(type, raw, ignoreCase: true);
            return (T)System.Convert.ChangeType(raw, type, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException or ArgumentException)
        {
            throw new UserErrorException($"setting '{key}' = '{raw}' is not a valid {type.Name}");
        }
    }

    private static Dictionary<string, string> ReadFile(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new UserErrorException($"config file {path} must hold a JSON object");
            return document.RootElement.EnumerateObject().ToDictionary(
                p => p.Name,
                p => p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.Array => string.Join(",", p.Value.EnumerateArray().Select(item => item.ToString())),
                    _ => p.Value.GetRawText(),
                });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException($"cannot read config file {path}: {e.Message}");
        }
        catch (JsonException e)
        {
            throw new UserErrorException($"config file {path} is not valid JSON: {e.Message}");
        }
    }
}

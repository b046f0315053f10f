using System.Security.Cryptography;
using System.Text;

namespace Appliance.Platform.Redis;

/// <summary>A Lua script and the SHA1 Redis knows it by (EVALSHA; see <see cref="IRedisClient.EvaluateAsync"/>).</summary>
public sealed class RedisScript
{
    public RedisScript(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        Text = text;
#pragma warning disable CA5350 // SHA1 is how Redis names cached scripts (EVALSHA); it is an identifier here, not a security measure.
        Sha1 = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5350
    }

    public string Text { get; }

    /// <summary>Lower-case hex, as SCRIPT LOAD returns it.</summary>
    public string Sha1 { get; }
}

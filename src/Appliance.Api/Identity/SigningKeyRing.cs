using System.Globalization;
using System.Security.Cryptography;
using Appliance.Platform.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace Appliance.Api.Identity;

/// <summary>
/// The RS256 signing keys: every <c>jwt-&lt;kid&gt;.pem</c> in the key directory. The newest kid (ordinal order; generated
/// kids start with a UTC timestamp) signs; all of them validate and are published in the JWKS, so a rotation keeps
/// tokens signed by the previous key valid until they expire. Keys must be private to their owner (mode 0600).
/// </summary>
public sealed class SigningKeyRing
{
    private const string Prefix = "jwt-";

    private SigningKeyRing(IReadOnlyList<RsaSecurityKey> keys)
    {
        Keys = keys;
        Active = keys[^1];
    }

    public IReadOnlyList<RsaSecurityKey> Keys { get; }

    public RsaSecurityKey Active { get; }

    public static SigningKeyRing Load(string directory)
    {
        var files = Directory.GetFiles(directory, Prefix + "*.pem").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new ConfigurationException("Identity:KeyDirectory", $"has no {Prefix}<kid>.pem signing key (create one with: appliance-api keys generate --dir {directory})");
        }

        var keys = new List<RsaSecurityKey>();
        foreach (var file in files)
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            {
                throw new ConfigurationException("Identity:KeyDirectory", $"key file '{file}' is readable by others; it must have mode 0600");
            }

            var rsa = RSA.Create();
            try
            {
                rsa.ImportFromPem(File.ReadAllText(file));
            }
            catch (ArgumentException ex)
            {
                rsa.Dispose();
                throw new ConfigurationException("Identity:KeyDirectory", $"key file '{file}' is not a PEM RSA private key ({ex.Message})");
            }

            if (rsa.KeySize < 2048)
            {
                rsa.Dispose();
                throw new ConfigurationException("Identity:KeyDirectory", $"key file '{file}' has {rsa.KeySize} bits; at least 2048 are required");
            }

            var kid = Path.GetFileNameWithoutExtension(file)[Prefix.Length..];
            keys.Add(new RsaSecurityKey(rsa) { KeyId = kid });
        }

        return new SigningKeyRing(keys);
    }

    /// <summary>Writes a new RSA-3072 key as <c>jwt-&lt;utc timestamp&gt;-&lt;random&gt;.pem</c> with mode 0600 and returns its path.</summary>
    public static string Generate(string directory)
    {
        Directory.CreateDirectory(directory);
        var kid = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var path = Path.Combine(directory, Prefix + kid + ".pem");
        using var rsa = RSA.Create(3072);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(rsa.ExportRSAPrivateKeyPem());
        return path;
    }
}

using System.Diagnostics;
using System.Text;
using Appliance.Platform.Security;
using Appliance.Platform.Security.Qr;

namespace Appliance.IntegrationTests.Security;

/// <summary>
/// The proof that the QR encoder is right: a real, independent decoder (zbar's <c>zbarimg</c>, Debian
/// package <c>zbar-tools</c>) must read back every payload from the PNG, at every error correction level.
/// </summary>
public sealed class QrDecodeTests
{
    public static TheoryData<string, QrErrorCorrection> Payloads()
    {
        var secret = Encoding.ASCII.GetBytes("12345678901234567890");
        var otpauth = OtpAuthUri.Build("Müller IT", "jörg@müller.de", secret); // 156 bytes
        var longOtpauth = OtpAuthUri.Build("Müller & Söhne IT-Service", "jörg.überall@müller-söhne.de", secret); // 234 bytes
        // 250 bytes with two-byte UTF-8 characters: version 10 or more at every level, so version information is present.
        var long250 = string.Concat(Enumerable.Repeat("Prüfsumme ", 25))[..227];
        var data = new TheoryData<string, QrErrorCorrection>();
        foreach (var level in Enum.GetValues<QrErrorCorrection>())
        {
            data.Add("HELLO WORLD", level);
            data.Add("a", level);
            data.Add(otpauth, level);
            data.Add(longOtpauth, level);
            data.Add(long250, level);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public async Task Zbar_decodes_the_png(string text, QrErrorCorrection level)
    {
        var code = QrCode.Encode(text, level);
        if (Encoding.UTF8.GetByteCount(text) >= 250)
        {
            Assert.Equal(250, Encoding.UTF8.GetByteCount(text));
            Assert.True(code.Version >= 7, $"version {code.Version}");
        }

        Assert.Equal(text, await DecodeAsync(code.ToPng(scale: 4)));
    }

    [Fact]
    public async Task Every_mask_decodes()
    {
        // The penalty rules pick one mask per payload; force each so all eight patterns are proven.
        var text = OtpAuthUri.Build("ACME", "alice@example.com", Totp.GenerateSecret());
        for (var mask = 0; mask < 8; mask++)
        {
            var code = QrCode.EncodeBytes(Encoding.UTF8.GetBytes(text), QrErrorCorrection.M, mask);
            Assert.Equal(mask, code.Mask);
            Assert.Equal(text, await DecodeAsync(code.ToPng(scale: 3)));
        }
    }

    [Fact]
    public async Task Versions_one_to_fifteen_decode()
    {
        // Step through versions by payload length at level L, covering every alignment layout up to 15.
        var seen = new HashSet<int>();
        for (var length = 1; seen.Count < 15; length += 9)
        {
            var text = new string('q', length);
            var code = QrCode.Encode(text, QrErrorCorrection.L);
            if (seen.Add(code.Version))
            {
                Assert.Equal(text, await DecodeAsync(code.ToPng(scale: 3)));
            }
        }
    }

    [Theory]
    [InlineData(QrErrorCorrection.M, 3)]
    [InlineData(QrErrorCorrection.H, 4)]
    public async Task Damaged_symbols_decode_through_the_error_correction(QrErrorCorrection level, int damage)
    {
        // Invert a damage×damage square of data modules in the lower-right corner: the decoder only
        // recovers the text if the Reed–Solomon check codewords are right.
        var text = OtpAuthUri.Build("ACME", "alice@example.com", Encoding.ASCII.GetBytes("12345678901234567890"));
        var code = QrCode.Encode(text, level);
        const int scale = 4, border = 4;
        int from = code.Size - damage, to = code.Size;
        var pixels = (code.Size + 2 * border) * scale;
        var png = PngWriter.Write(pixels, pixels, (x, y) =>
        {
            int mx = x / scale - border, my = y / scale - border;
            if (mx < 0 || my < 0 || mx >= code.Size || my >= code.Size)
            {
                return false;
            }

            var inverted = mx >= from && mx < to && my >= from && my < to;
            return code.IsDark(mx, my) ^ inverted;
        });
        Assert.Equal(text, await DecodeAsync(png));
    }

    internal static async Task<string> DecodeAsync(byte[] png)
    {
        var zbarimg = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Where(dir => dir.Length > 0)
            .Append("/usr/bin")
            .Select(dir => Path.Combine(dir, "zbarimg"))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("zbarimg is missing: install the Debian package zbar-tools (apt-get install -y zbar-tools; .ci/run installs it)");

        var file = Path.Combine(Path.GetTempPath(), $"qr-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(file, png);
        try
        {
            // -Sbinary: the symbol's bytes exactly as encoded, without zbar's charset guessing.
            var start = new ProcessStartInfo(zbarimg)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "--quiet", "--raw", "--nodbus", "-Sbinary", "-Sqrcode.enable", file })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("zbarimg did not start");
            using var output = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            await copy;
            Assert.True(process.ExitCode == 0, $"zbarimg exit {process.ExitCode}: {await error}");
            return Encoding.UTF8.GetString(output.ToArray()).TrimEnd('\n');
        }
        finally
        {
            File.Delete(file);
        }
    }
}

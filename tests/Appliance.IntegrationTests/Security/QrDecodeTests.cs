using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Appliance.Platform.Security;
using QRCoder;

namespace Appliance.IntegrationTests.Security;

/// <summary>
/// The proof that enrolment QR codes scan: a real, independent decoder (zbar's <c>zbarimg</c>, Debian package
/// <c>zbar-tools</c>) must read back every payload from the PNG and from the SVG, at every error correction level, as
/// QRCoder renders them for <see cref="QrImage"/>. The SVG is rasterised here (<see cref="RasteriseSvg"/>): the
/// ImageMagick 6.9 reader zbarimg links fills QRCoder's one-path SVG wrongly (finder patterns come out solid), which
/// browsers and librsvg do not.
/// </summary>
public sealed class QrDecodeTests
{
    public static TheoryData<string, QRCodeGenerator.ECCLevel> Payloads()
    {
        var secret = Encoding.ASCII.GetBytes("12345678901234567890");
        var otpauth = OtpAuthUri.Build("Müller IT", "jörg@müller.de", secret); // 156 bytes
        var longOtpauth = OtpAuthUri.Build("Müller & Söhne IT-Service", "jörg.überall@müller-söhne.de", secret); // 234 bytes
        // 250 bytes with two-byte UTF-8 characters: version 10 or more at every level, so version information is present.
        var long250 = string.Concat(Enumerable.Repeat("Prüfsumme ", 25))[..227];
        var data = new TheoryData<string, QRCodeGenerator.ECCLevel>();
        foreach (var level in new[] { QRCodeGenerator.ECCLevel.L, QRCodeGenerator.ECCLevel.M, QRCodeGenerator.ECCLevel.Q, QRCodeGenerator.ECCLevel.H })
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
    public async Task Zbar_decodes_the_png_and_the_svg(string text, QRCodeGenerator.ECCLevel level)
    {
        var code = QrImage.Encode(text, level);
        if (Encoding.UTF8.GetByteCount(text) >= 250)
        {
            Assert.Equal(250, Encoding.UTF8.GetByteCount(text));
            Assert.True(code.Version >= 7, $"version {code.Version}");
        }

        Assert.Equal(text, await DecodeAsync(code.ToPng(pixelsPerModule: 4)));
        Assert.Equal(text, await DecodeAsync(RasteriseSvg(code.ToSvg(pixelsPerModule: 4)), "pgm"));
    }

    [Fact]
    public async Task Versions_one_to_fifteen_decode()
    {
        // Step through versions by payload length at level L, covering every alignment layout up to 15.
        var seen = new HashSet<int>();
        for (var length = 1; seen.Count < 15; length += 9)
        {
            var text = new string('q', length);
            var code = QrImage.Encode(text, QRCodeGenerator.ECCLevel.L);
            if (seen.Add(code.Version))
            {
                Assert.Equal(text, await DecodeAsync(code.ToPng(pixelsPerModule: 3)));
            }
        }
    }

    [Fact]
    public void Png_and_svg_are_what_the_enrolment_answer_says()
    {
        var code = QrImage.Encode(OtpAuthUri.Build("ACME", "alice@example.com", Totp.GenerateSecret()));
        var png = code.ToPng();
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal(png, Convert.FromBase64String(code.ToPngDataUri()["data:image/png;base64,".Length..]));
        Assert.Contains("<svg", code.ToSvg(), StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => code.ToPng(pixelsPerModule: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.ToSvg(pixelsPerModule: QrImage.MaxPixelsPerModule + 1));
        Assert.Throws<ArgumentNullException>(() => QrImage.Encode(null!));
    }

    /// <summary>
    /// The SVG as a binary PGM image, 4 pixels per unit: its <c>viewBox</c> size, white, with every subpath of the dark
    /// path (<c>M x y</c>, then relative <c>h</c>/<c>v</c> edges, <c>z</c>) filled as the axis-aligned rectangle it traces.
    /// Anything else in the path fails the test, so a renderer change that this reading would misread cannot pass.
    /// </summary>
    internal static byte[] RasteriseSvg(string svg)
    {
        const int scale = 4;
        var root = XDocument.Parse(svg).Root!;
        var viewBox = root.Attribute("viewBox")!.Value.Split(' ').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([0, 0], viewBox[..2]);
        int width = viewBox[2], height = viewBox[3];
        var dark = new bool[height, width];
        var paths = root.Elements().Where(e => e.Name.LocalName == "path").ToList();
        Assert.Single(paths);
        foreach (Match sub in Regex.Matches(paths[0].Attribute("d")!.Value, @"M(\d+)[ ,](\d+)((?:[hv]-?\d+)+)z"))
        {
            int x = int.Parse(sub.Groups[1].Value, CultureInfo.InvariantCulture), y = int.Parse(sub.Groups[2].Value, CultureInfo.InvariantCulture);
            int minX = x, maxX = x, minY = y, maxY = y;
            foreach (Match edge in Regex.Matches(sub.Groups[3].Value, @"([hv])(-?\d+)"))
            {
                var step = int.Parse(edge.Groups[2].Value, CultureInfo.InvariantCulture);
                (x, y) = edge.Groups[1].Value == "h" ? (x + step, y) : (x, y + step);
                (minX, maxX, minY, maxY) = (Math.Min(minX, x), Math.Max(maxX, x), Math.Min(minY, y), Math.Max(maxY, y));
            }

            for (var row = minY; row < maxY; row++)
            {
                for (var column = minX; column < maxX; column++)
                {
                    dark[row, column] = true;
                }
            }
        }

        Assert.Equal(paths[0].Attribute("d")!.Value.Length, Regex.Matches(paths[0].Attribute("d")!.Value, @"M\d+[ ,]\d+(?:[hv]-?\d+)+z").Sum(m => m.Length));
        var header = Encoding.ASCII.GetBytes($"P5 {width * scale} {height * scale} 255\n");
        var image = new byte[header.Length + width * scale * height * scale];
        header.CopyTo(image, 0);
        for (var py = 0; py < height * scale; py++)
        {
            for (var px = 0; px < width * scale; px++)
            {
                image[header.Length + py * width * scale + px] = dark[py / scale, px / scale] ? (byte)0 : (byte)255;
            }
        }

        return image;
    }

    internal static async Task<string> DecodeAsync(byte[] image, string extension = "png")
    {
        var zbarimg = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Where(dir => dir.Length > 0)
            .Append("/usr/bin")
            .Select(dir => Path.Combine(dir, "zbarimg"))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("zbarimg is missing: install the Debian package zbar-tools (apt-get install -y zbar-tools; .ci/run installs it)");

        var file = Path.Combine(Path.GetTempPath(), $"qr-{Guid.NewGuid():N}.{extension}");
        await File.WriteAllBytesAsync(file, image);
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

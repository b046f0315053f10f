using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Appliance.Platform.Security.Qr;

namespace Appliance.UnitTests.Security;

public sealed class QrCodeTests
{
    [Fact]
    public void Crc32_check_value()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8)); // the CRC every PNG ends with
    }

    [Fact]
    public void Generator_polynomials_match_the_standard()
    {
        // 7 check codewords (1-L): 1, 127, 122, 154, 164, 11, 68, 117.
        Assert.Equal(new byte[] { 1, 127, 122, 154, 164, 11, 68, 117 }, ReedSolomon.Generator(7));
        // 10 check codewords (1-M) as exponents of α: 0, 251, 67, 46, 61, 118, 70, 64, 94, 32, 45.
        var alphaExponents = new[] { 0, 251, 67, 46, 61, 118, 70, 64, 94, 32, 45 };
        Assert.Equal(alphaExponents.Select(AlphaPower).ToArray(), ReedSolomon.Generator(10));
    }

    [Fact]
    public void Reed_solomon_check_codewords_of_hello_world_1m()
    {
        // The widely used worked example: "HELLO WORLD" in alphanumeric mode at 1-M.
        byte[] data = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17];
        Assert.Equal(new byte[] { 196, 35, 39, 119, 235, 215, 231, 226, 93, 23 }, ReedSolomon.Remainder(data, 10));
    }

    [Fact]
    public void Reed_solomon_check_codewords_of_the_iso_numeric_example()
    {
        // ISO/IEC 18004 annex example "01234567" at 1-M.
        byte[] data = [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11];
        Assert.Equal(new byte[] { 0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55 }, ReedSolomon.Remainder(data, 10));
    }

    [Theory]
    [InlineData(QrErrorCorrection.L, 0, "111011111000100")]
    [InlineData(QrErrorCorrection.L, 7, "110100101110110")]
    [InlineData(QrErrorCorrection.M, 0, "101010000010010")]
    [InlineData(QrErrorCorrection.M, 5, "100000011001110")]
    [InlineData(QrErrorCorrection.Q, 3, "011101000000110")]
    [InlineData(QrErrorCorrection.Q, 6, "010111011011010")]
    [InlineData(QrErrorCorrection.H, 0, "001011010001001")]
    [InlineData(QrErrorCorrection.H, 7, "000100000111011")]
    public void Format_information_bits(QrErrorCorrection level, int mask, string expected) =>
        Assert.Equal(Convert.ToInt32(expected, 2), QrCode.FormatBits(level, mask));

    [Theory]
    [InlineData(7, 0x07C94)]
    [InlineData(8, 0x085BC)]
    [InlineData(10, 0x0A4D3)]
    [InlineData(40, 0x28C69)]
    public void Version_information_bits(int version, int expected) => Assert.Equal(expected, QrCode.VersionBits(version));

    [Theory]
    [InlineData(1, new int[0])]
    [InlineData(2, new[] { 6, 18 })]
    [InlineData(7, new[] { 6, 22, 38 })]
    [InlineData(10, new[] { 6, 28, 50 })]
    [InlineData(32, new[] { 6, 34, 60, 86, 112, 138 })]
    [InlineData(36, new[] { 6, 24, 50, 76, 102, 128, 154 })]
    [InlineData(40, new[] { 6, 30, 58, 86, 114, 142, 170 })]
    public void Alignment_pattern_positions(int version, int[] expected) => Assert.Equal(expected, QrCode.AlignmentPositions(version));

    // Byte-mode capacities from the standard's capacity table.
    [Theory]
    [InlineData(1, QrErrorCorrection.L, 17)]
    [InlineData(1, QrErrorCorrection.M, 14)]
    [InlineData(1, QrErrorCorrection.Q, 11)]
    [InlineData(1, QrErrorCorrection.H, 7)]
    [InlineData(7, QrErrorCorrection.M, 122)]
    [InlineData(10, QrErrorCorrection.M, 213)]
    [InlineData(10, QrErrorCorrection.H, 119)]
    [InlineData(40, QrErrorCorrection.L, 2953)]
    [InlineData(40, QrErrorCorrection.H, 1273)]
    public void Byte_capacity_decides_the_version(int version, QrErrorCorrection level, int capacity)
    {
        Assert.Equal(version, QrCode.EncodeBytes(new byte[capacity], level).Version);
        if (version < 40)
        {
            Assert.Equal(version + 1, QrCode.EncodeBytes(new byte[capacity + 1], level).Version);
        }
        else
        {
            var error = Assert.Throws<ArgumentException>(() => QrCode.EncodeBytes(new byte[capacity + 1], level));
            Assert.Contains($"at most {capacity} bytes", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Codeword_totals_fill_every_version()
    {
        foreach (var level in Enum.GetValues<QrErrorCorrection>())
        {
            for (var version = 1; version <= 40; version++)
            {
                var data = new byte[QrCode.DataCodewords(version, level)];
                Assert.Equal(QrCode.RawDataModules(version) / 8, QrCode.AddErrorCorrection(data, version, level).Length);
            }
        }
    }

    [Fact]
    public void Function_patterns_and_both_format_copies_are_in_place()
    {
        var code = QrCode.Encode(new string('x', 200), QrErrorCorrection.Q);
        var size = code.Size;
        Assert.Equal(17 + 4 * code.Version, size);
        Assert.True(code.Version >= 7);
        foreach (var (cx, cy) in new[] { (3, 3), (size - 4, 3), (3, size - 4) })
        {
            Assert.True(code.IsDark(cx, cy));
            Assert.True(code.IsDark(cx - 3, cy - 3));
            Assert.False(code.IsDark(cx - 2, cy - 2));
        }

        for (var i = 8; i < size - 8; i++)
        {
            Assert.Equal(i % 2 == 0, code.IsDark(i, 6));
            Assert.Equal(i % 2 == 0, code.IsDark(6, i));
        }

        Assert.True(code.IsDark(8, size - 8));
        var expected = QrCode.FormatBits(code.ErrorCorrection, code.Mask);
        int first = 0, second = 0;
        int[] rows = [0, 1, 2, 3, 4, 5, 7, 8];
        for (var i = 0; i < 8; i++)
        {
            first |= (code.IsDark(8, rows[i]) ? 1 : 0) << i;
            second |= (code.IsDark(size - 1 - i, 8) ? 1 : 0) << i;
        }

        int[] columns = [7, 5, 4, 3, 2, 1, 0];
        for (var i = 8; i < 15; i++)
        {
            first |= (code.IsDark(columns[i - 8], 8) ? 1 : 0) << i;
            second |= (code.IsDark(8, size - 15 + i) ? 1 : 0) << i;
        }

        Assert.Equal(expected, first);
        Assert.Equal(expected, second);

        var version = 0;
        for (var i = 17; i >= 0; i--)
        {
            version = (version << 1) | (code.IsDark(size - 11 + i % 3, i / 3) ? 1 : 0);
        }

        Assert.Equal(QrCode.VersionBits(code.Version), version);
    }

    [Fact]
    public void Mask_choice_is_deterministic_and_minimal()
    {
        var a = QrCode.Encode("otpauth://totp/ACME:alice?secret=ABC", QrErrorCorrection.M);
        var b = QrCode.Encode("otpauth://totp/ACME:alice?secret=ABC", QrErrorCorrection.M);
        Assert.Equal(a.Mask, b.Mask);
        Assert.InRange(a.Mask, 0, 7);
        var masks = Enumerable.Range(0, 8).Select(m => QrCode.EncodeBytes("otpauth://totp/ACME:alice?secret=ABC"u8, QrErrorCorrection.M, m)).ToList();
        Assert.Equal(8, masks.Select(Render).Distinct().Count());
    }

    [Fact]
    public void Png_is_well_formed_and_matches_the_modules()
    {
        var code = QrCode.Encode("hello", QrErrorCorrection.L);
        const int scale = 3, border = 4;
        var png = code.ToPng(scale, border);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);

        var chunks = new List<(string Type, byte[] Data)>();
        for (var offset = 8; offset < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var typeAndData = png.AsSpan(offset + 4, 4 + length);
            Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length)), Crc32.Compute(typeAndData));
            chunks.Add((Encoding.ASCII.GetString(typeAndData[..4]), typeAndData[4..].ToArray()));
            offset += 12 + length;
        }

        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        var pixels = (code.Size + 2 * border) * scale;
        var header = chunks[0].Data;
        Assert.Equal(pixels, BinaryPrimitives.ReadInt32BigEndian(header));
        Assert.Equal(pixels, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)));
        Assert.Equal(new byte[] { 1, 0, 0, 0, 0 }, header[8..]);

        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        var raw = inflated.ToArray();
        var stride = (pixels + 7) / 8 + 1;
        Assert.Equal(stride * pixels, raw.Length);
        for (var y = 0; y < pixels; y++)
        {
            Assert.Equal(0, raw[y * stride]);
            for (var x = 0; x < pixels; x++)
            {
                var white = (raw[y * stride + 1 + x / 8] & (0x80 >> (x % 8))) != 0;
                int mx = x / scale - border, my = y / scale - border;
                var dark = mx >= 0 && my >= 0 && mx < code.Size && my < code.Size && code.IsDark(mx, my);
                Assert.Equal(dark, !white);
            }
        }

        Assert.StartsWith("data:image/png;base64,", code.ToPngDataUri(scale, border), StringComparison.Ordinal);
        Assert.Equal(png, Convert.FromBase64String(code.ToPngDataUri(scale, border)["data:image/png;base64,".Length..]));
    }

    [Fact]
    public void Bad_render_arguments_are_rejected()
    {
        var code = QrCode.Encode("x");
        Assert.Throws<ArgumentOutOfRangeException>(() => code.ToPng(scale: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.ToPng(border: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.ToPng(scale: 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.ToSvg(scale: 0));
        Assert.Throws<ArgumentNullException>(() => QrCode.Encode(null!));
    }

    [Fact]
    public void Svg_covers_exactly_the_dark_modules()
    {
        var code = QrCode.Encode("svg", QrErrorCorrection.H);
        var svg = code.ToSvg(scale: 5, border: 2);
        var dimension = code.Size + 4;
        Assert.StartsWith($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{dimension * 5}\" height=\"{dimension * 5}\" viewBox=\"0 0 {dimension} {dimension}\"", svg, StringComparison.Ordinal);

        var path = svg[(svg.IndexOf(" d=\"", StringComparison.Ordinal) + 4)..svg.LastIndexOf('"')];
        var painted = new HashSet<(int, int)>();
        foreach (var segment in path.Split('z', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = System.Text.RegularExpressions.Regex.Match(segment, @"^M(\d+),(\d+)h(\d+)v1h-(\d+)$");
            Assert.True(m.Success, segment);
            int x = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), y = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            var run = int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            for (var i = 0; i < run; i++)
            {
                Assert.True(painted.Add((x + i - 2, y - 2)));
            }
        }

        for (var y = 0; y < code.Size; y++)
        {
            for (var x = 0; x < code.Size; x++)
            {
                Assert.Equal(code.IsDark(x, y), painted.Contains((x, y)));
            }
        }
    }

    private static string Render(QrCode code)
    {
        var text = new StringBuilder();
        for (var y = 0; y < code.Size; y++)
        {
            for (var x = 0; x < code.Size; x++)
            {
                text.Append(code.IsDark(x, y) ? '#' : '.');
            }
        }

        return text.ToString();
    }

    private static byte AlphaPower(int exponent)
    {
        var value = 1;
        for (var i = 0; i < exponent; i++)
        {
            value <<= 1;
            if (value >= 256)
            {
                value ^= 0x11D;
            }
        }

        return (byte)value;
    }
}

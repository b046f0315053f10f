using System.Globalization;
using System.Text;

namespace Appliance.Platform.Security.Qr;

/// <summary>QR error correction level: roughly 7 %, 15 %, 25 % and 30 % of codewords recoverable.</summary>
public enum QrErrorCorrection
{
    L,
    M,
    Q,
    H,
}

/// <summary>
/// A QR code symbol (ISO/IEC 18004, model 2) built from text in byte mode (UTF-8), versions 1–40,
/// the smallest version that fits. The matrix has no quiet zone; the renderers add one.
/// </summary>
/// <remarks>
/// No ECI header is written: scanners read byte mode as UTF-8 or Latin-1 by content, and an
/// <c>otpauth://</c> URI is ASCII anyway (its non-ASCII parts are percent-encoded).
/// </remarks>
public sealed class QrCode
{
    public const int MinVersion = 1;
    public const int MaxVersion = 40;

    /// <summary>Largest PNG side accepted, so a careless scale cannot allocate gigabytes.</summary>
    public const int MaxPngPixels = 8192;

    // ISO/IEC 18004 table 9, indexed [level][version]: check codewords per block and number of blocks.
    private static readonly int[][] EccPerBlock =
    [
        [-1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
        [-1, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [-1, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    ];

    private static readonly int[][] BlockCount =
    [
        [-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
        [-1, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
        [-1, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
    ];

    private readonly bool[,] _modules;

    private QrCode(int version, QrErrorCorrection errorCorrection, int mask, bool[,] modules)
    {
        Version = version;
        ErrorCorrection = errorCorrection;
        Mask = mask;
        _modules = modules;
    }

    public int Version { get; }

    public QrErrorCorrection ErrorCorrection { get; }

    /// <summary>The data mask (0–7) the penalty rules chose.</summary>
    public int Mask { get; }

    /// <summary>Modules per side: 17 + 4 × version.</summary>
    public int Size => _modules.GetLength(0);

    /// <summary>True for a dark module; x is the column, y the row, both from the top-left corner.</summary>
    public bool IsDark(int x, int y) => _modules[y, x];

    /// <summary>Encodes <paramref name="text"/> as UTF-8 bytes in the smallest version that fits.</summary>
    /// <exception cref="ArgumentException">The text does not fit into version 40 at this level.</exception>
    public static QrCode Encode(string text, QrErrorCorrection errorCorrection = QrErrorCorrection.M)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeBytes(Encoding.UTF8.GetBytes(text), errorCorrection);
    }

    public static QrCode EncodeBytes(ReadOnlySpan<byte> data, QrErrorCorrection errorCorrection = QrErrorCorrection.M) =>
        EncodeBytes(data, errorCorrection, forcedMask: null);

    internal static QrCode EncodeBytes(ReadOnlySpan<byte> data, QrErrorCorrection errorCorrection, int? forcedMask)
    {
        if (!Enum.IsDefined(errorCorrection))
        {
            throw new ArgumentOutOfRangeException(nameof(errorCorrection), errorCorrection, "Unknown error correction level.");
        }

        var version = MinVersion;
        while (4 + CountBits(version) + data.Length * 8 > DataCodewords(version, errorCorrection) * 8)
        {
            if (++version > MaxVersion)
            {
                throw new ArgumentException(
                    $"{data.Length} bytes do not fit into a QR code at level {errorCorrection} (at most {DataCodewords(MaxVersion, errorCorrection) - 3} bytes).",
                    nameof(data));
            }
        }

        var codewords = AddErrorCorrection(DataCodewordsFor(data, version, errorCorrection), version, errorCorrection);
        var builder = new MatrixBuilder(version);
        builder.DrawFunctionPatterns();
        builder.PlaceCodewords(codewords);

        var bestMask = forcedMask ?? -1;
        if (bestMask < 0)
        {
            var bestPenalty = int.MaxValue;
            for (var mask = 0; mask < 8; mask++)
            {
                builder.ApplyMask(mask);
                builder.DrawFormatBits(errorCorrection, mask);
                var penalty = builder.Penalty();
                if (penalty < bestPenalty)
                {
                    bestPenalty = penalty;
                    bestMask = mask;
                }

                builder.ApplyMask(mask); // XOR again undoes it
            }
        }

        builder.ApplyMask(bestMask);
        builder.DrawFormatBits(errorCorrection, bestMask);
        return new QrCode(version, errorCorrection, bestMask, builder.Modules);
    }

    /// <summary>An SVG image: one path of dark modules on a white square, <paramref name="border"/> modules of quiet zone.</summary>
    public string ToSvg(int scale = 4, int border = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        ArgumentOutOfRangeException.ThrowIfNegative(border);
        var dimension = Size + 2 * border;
        var pixels = dimension * scale;
        var path = new StringBuilder();
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                if (!_modules[y, x])
                {
                    continue;
                }

                var run = 1;
                while (x + run < Size && _modules[y, x + run])
                {
                    run++;
                }

                path.Append(CultureInfo.InvariantCulture, $"M{x + border},{y + border}h{run}v1h-{run}z");
                x += run - 1;
            }
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{pixels}\" height=\"{pixels}\" viewBox=\"0 0 {dimension} {dimension}\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>");
    }

    /// <summary>A 1-bit greyscale PNG, <paramref name="scale"/> pixels per module, <paramref name="border"/> modules of quiet zone.</summary>
    public byte[] ToPng(int scale = 4, int border = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        ArgumentOutOfRangeException.ThrowIfNegative(border);
        var pixels = (Size + 2 * border) * scale;
        if (pixels > MaxPngPixels)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"The image would be {pixels} pixels wide; at most {MaxPngPixels}.");
        }

        return PngWriter.Write(pixels, pixels, (x, y) =>
        {
            int mx = x / scale - border, my = y / scale - border;
            return mx >= 0 && my >= 0 && mx < Size && my < Size && _modules[my, mx];
        });
    }

    /// <summary><see cref="ToPng"/> as a <c>data:image/png;base64,</c> URI for an &lt;img src&gt;.</summary>
    public string ToPngDataUri(int scale = 4, int border = 4) => "data:image/png;base64," + Convert.ToBase64String(ToPng(scale, border));

    /// <summary>Bits of the byte-mode character count: 8 up to version 9, 16 from version 10.</summary>
    internal static int CountBits(int version) => version <= 9 ? 8 : 16;

    /// <summary>Modules left for codewords after all function patterns (incl. format and version info).</summary>
    internal static int RawDataModules(int version)
    {
        var result = (16 * version + 128) * version + 64;
        if (version >= 2)
        {
            var alignments = version / 7 + 2;
            result -= (25 * alignments - 10) * alignments - 55;
            if (version >= 7)
            {
                result -= 36;
            }
        }

        return result;
    }

    internal static int DataCodewords(int version, QrErrorCorrection level) =>
        RawDataModules(version) / 8 - EccPerBlock[(int)level][version] * BlockCount[(int)level][version];

    /// <summary>Centre coordinates of alignment patterns (rows and columns alike), ascending.</summary>
    internal static int[] AlignmentPositions(int version)
    {
        if (version == 1)
        {
            return [];
        }

        var count = version / 7 + 2;
        var size = 17 + 4 * version;
        // Evenly spaced from the far edge back towards 6, even steps; version 32 is the one exception.
        var step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2;
        var positions = new int[count];
        positions[0] = 6;
        for (int i = count - 1, pos = size - 7; i >= 1; i--, pos -= step)
        {
            positions[i] = pos;
        }

        return positions;
    }

    /// <summary>15-bit format information: level and mask, BCH(15,5) with generator 0x537, XOR 0x5412.</summary>
    internal static int FormatBits(QrErrorCorrection level, int mask)
    {
        var levelBits = level switch
        {
            QrErrorCorrection.L => 1,
            QrErrorCorrection.M => 0,
            QrErrorCorrection.Q => 3,
            _ => 2,
        };
        var data = (levelBits << 3) | mask;
        return ((data << 10) | BchRemainder(data << 10, 0x537, 10)) ^ 0x5412;
    }

    /// <summary>18-bit version information (versions 7+): BCH(18,6) with generator 0x1F25.</summary>
    internal static int VersionBits(int version) => (version << 12) | BchRemainder(version << 12, 0x1F25, 12);

    private static int BchRemainder(int value, int generator, int degree)
    {
        for (var bit = 31; bit >= degree; bit--)
        {
            if ((value & (1 << bit)) != 0)
            {
                value ^= generator << (bit - degree);
            }
        }

        return value;
    }

    private static byte[] DataCodewordsFor(ReadOnlySpan<byte> data, int version, QrErrorCorrection level)
    {
        var capacity = DataCodewords(version, level);
        var bits = new BitWriter(capacity);
        bits.Write(0b0100, 4); // byte mode
        bits.Write(data.Length, CountBits(version));
        foreach (var b in data)
        {
            bits.Write(b, 8);
        }

        bits.Write(0, Math.Min(4, capacity * 8 - bits.Length)); // terminator
        bits.Write(0, (8 - bits.Length % 8) % 8);
        for (var pad = 0xEC; bits.Length < capacity * 8; pad ^= 0xEC ^ 0x11)
        {
            bits.Write(pad, 8);
        }

        return bits.Bytes;
    }

    /// <summary>Splits data into blocks, appends each block's check codewords and interleaves them.</summary>
    internal static byte[] AddErrorCorrection(byte[] data, int version, QrErrorCorrection level)
    {
        var blocks = BlockCount[(int)level][version];
        var eccLength = EccPerBlock[(int)level][version];
        var raw = RawDataModules(version) / 8;
        var shortBlocks = blocks - raw % blocks;
        var shortDataLength = raw / blocks - eccLength;

        var dataBlocks = new byte[blocks][];
        var eccBlocks = new byte[blocks][];
        for (int i = 0, offset = 0; i < blocks; i++)
        {
            var length = shortDataLength + (i < shortBlocks ? 0 : 1);
            dataBlocks[i] = data[offset..(offset + length)];
            eccBlocks[i] = ReedSolomon.Remainder(dataBlocks[i], eccLength);
            offset += length;
        }

        var result = new byte[raw];
        var index = 0;
        for (var i = 0; i <= shortDataLength; i++)
        {
            foreach (var block in dataBlocks)
            {
                if (i < block.Length)
                {
                    result[index++] = block[i];
                }
            }
        }

        for (var i = 0; i < eccLength; i++)
        {
            foreach (var block in eccBlocks)
            {
                result[index++] = block[i];
            }
        }

        return result;
    }

    private sealed class BitWriter(int capacityBytes)
    {
        public byte[] Bytes { get; } = new byte[capacityBytes];

        public int Length { get; private set; }

        public void Write(int value, int count)
        {
            for (var i = count - 1; i >= 0; i--)
            {
                if (((value >> i) & 1) != 0)
                {
                    Bytes[Length / 8] |= (byte)(0x80 >> (Length % 8));
                }

                Length++;
            }
        }
    }
}

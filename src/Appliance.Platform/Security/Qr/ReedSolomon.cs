namespace Appliance.Platform.Security.Qr;

/// <summary>
/// Reed–Solomon error correction as QR codes use it: GF(256) with the primitive polynomial
/// x^8 + x^4 + x^3 + x^2 + 1 (0x11D), generator roots α^0 .. α^(n-1) with α = 2.
/// </summary>
internal static class ReedSolomon
{
    private static readonly byte[] Exp = new byte[512];
    private static readonly byte[] Log = new byte[256];

#pragma warning disable CA1810 // the tables are filled by a loop; a static constructor is the clear way
    static ReedSolomon()
#pragma warning restore CA1810
    {
        var x = 1;
        for (var i = 0; i < 255; i++)
        {
            Exp[i] = (byte)x;
            Log[x] = (byte)i;
            x <<= 1;
            if (x >= 256)
            {
                x ^= 0x11D;
            }
        }

        // Doubling the exp table lets Multiply skip a modulo.
        for (var i = 255; i < 512; i++)
        {
            Exp[i] = Exp[i - 255];
        }
    }

    public static byte Multiply(byte a, byte b) => a == 0 || b == 0 ? (byte)0 : Exp[Log[a] + Log[b]];

    /// <summary>Coefficients of ∏(x - α^i), i = 0..degree-1, highest power first (the leading 1 included).</summary>
    public static byte[] Generator(int degree)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(degree);
        var poly = new byte[degree + 1];
        poly[0] = 1;
        for (var i = 0; i < degree; i++)
        {
            // Multiply the current polynomial (length i + 1) by (x + α^i); subtraction is XOR.
            var root = Exp[i];
            for (var j = i + 1; j > 0; j--)
            {
                poly[j] ^= Multiply(poly[j - 1], root);
            }
        }

        return poly;
    }

    /// <summary>The <paramref name="eccLength"/> check codewords: data(x)·x^n mod generator(x).</summary>
    public static byte[] Remainder(ReadOnlySpan<byte> data, int eccLength)
    {
        var generator = Generator(eccLength);
        var remainder = new byte[eccLength];
        foreach (var b in data)
        {
            var factor = (byte)(b ^ remainder[0]);
            Array.Copy(remainder, 1, remainder, 0, eccLength - 1);
            remainder[eccLength - 1] = 0;
            for (var j = 0; j < eccLength; j++)
            {
                remainder[j] ^= Multiply(generator[j + 1], factor);
            }
        }

        return remainder;
    }
}

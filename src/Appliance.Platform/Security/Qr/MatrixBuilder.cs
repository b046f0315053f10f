namespace Appliance.Platform.Security.Qr;

/// <summary>Lays out one QR symbol: function patterns, the codeword zigzag, masks and the penalty score.</summary>
internal sealed class MatrixBuilder
{
    private readonly int _version;
    private readonly int _size;
    private readonly bool[,] _function;

    public MatrixBuilder(int version)
    {
        _version = version;
        _size = 17 + 4 * version;
        Modules = new bool[_size, _size];
        _function = new bool[_size, _size];
    }

    /// <summary>[row, column]; true is dark.</summary>
    public bool[,] Modules { get; }

    public void DrawFunctionPatterns()
    {
        // Timing patterns first; finders and alignments overwrite their ends.
        for (var i = 0; i < _size; i++)
        {
            Set(6, i, i % 2 == 0);
            Set(i, 6, i % 2 == 0);
        }

        DrawFinder(3, 3);
        DrawFinder(_size - 4, 3);
        DrawFinder(3, _size - 4);

        var positions = QrCode.AlignmentPositions(_version);
        var last = positions.Length - 1;
        for (var i = 0; i < positions.Length; i++)
        {
            for (var j = 0; j < positions.Length; j++)
            {
                var nearFinder = (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0);
                if (!nearFinder)
                {
                    DrawAlignment(positions[i], positions[j]);
                }
            }
        }

        // Reserve the format areas now (real bits come with the mask) and set the fixed dark module.
        DrawFormatBits(QrErrorCorrection.M, 0);
        DrawVersionBits();
    }

    /// <summary>Writes the codewords MSB first in two-column strips from the bottom right, alternating up and down.</summary>
    public void PlaceCodewords(byte[] codewords)
    {
        var bit = 0;
        var totalBits = codewords.Length * 8;
        for (var right = _size - 1; right >= 1; right -= 2)
        {
            if (right == 6)
            {
                right = 5; // the vertical timing pattern takes column 6 out of the strips
            }

            var upward = ((right + 1) & 2) == 0;
            for (var vertical = 0; vertical < _size; vertical++)
            {
                var y = upward ? _size - 1 - vertical : vertical;
                for (var j = 0; j < 2; j++)
                {
                    var x = right - j;
                    if (_function[y, x])
                    {
                        continue;
                    }

                    // Remainder bits beyond the last codeword stay light (0).
                    if (bit < totalBits)
                    {
                        Modules[y, x] = ((codewords[bit >> 3] >> (7 - (bit & 7))) & 1) != 0;
                        bit++;
                    }
                }
            }
        }
    }

    /// <summary>XORs data modules with mask pattern <paramref name="mask"/>; applying it twice restores them.</summary>
    public void ApplyMask(int mask)
    {
        for (var y = 0; y < _size; y++)
        {
            for (var x = 0; x < _size; x++)
            {
                if (_function[y, x])
                {
                    continue;
                }

                var invert = mask switch
                {
                    0 => (y + x) % 2 == 0,
                    1 => y % 2 == 0,
                    2 => x % 3 == 0,
                    3 => (y + x) % 3 == 0,
                    4 => (y / 2 + x / 3) % 2 == 0,
                    5 => y * x % 2 + y * x % 3 == 0,
                    6 => (y * x % 2 + y * x % 3) % 2 == 0,
                    7 => ((y + x) % 2 + y * x % 3) % 2 == 0,
                    _ => throw new ArgumentOutOfRangeException(nameof(mask), mask, "QR masks are 0 to 7."),
                };
                Modules[y, x] ^= invert;
            }
        }
    }

    /// <summary>Both copies of the 15 format bits (bit 14 first), plus the dark module next to the lower-left finder.</summary>
    public void DrawFormatBits(QrErrorCorrection level, int mask)
    {
        var bits = QrCode.FormatBits(level, mask);
        // Copy 1 around the top-left finder: bits 0-5 down column 8 from the top, skipping the timing row...
        for (var i = 0; i <= 5; i++)
        {
            Set(8, i, Bit(bits, i));
        }

        Set(8, 7, Bit(bits, 6));
        Set(8, 8, Bit(bits, 7));
        Set(7, 8, Bit(bits, 8));
        // ...then bits 9-14 leftwards along row 8 (column 6 is timing).
        for (var i = 9; i < 15; i++)
        {
            Set(14 - i, 8, Bit(bits, i));
        }

        // Copy 2: bits 0-7 leftwards along row 8 from the right edge, bits 8-14 down column 8 at the bottom.
        for (var i = 0; i < 8; i++)
        {
            Set(_size - 1 - i, 8, Bit(bits, i));
        }

        for (var i = 8; i < 15; i++)
        {
            Set(8, _size - 15 + i, Bit(bits, i));
        }

        Set(8, _size - 8, true);
    }

    /// <summary>Rule-based penalty (ISO/IEC 18004 7.8.3): runs, 2×2 blocks, finder-like patterns, dark balance.</summary>
    public int Penalty()
    {
        var penalty = 0;
        for (var line = 0; line < _size; line++)
        {
            penalty += LinePenalty(line, horizontal: true) + LinePenalty(line, horizontal: false);
        }

        var dark = 0;
        for (var y = 0; y < _size; y++)
        {
            for (var x = 0; x < _size; x++)
            {
                if (Modules[y, x])
                {
                    dark++;
                }

                if (x + 1 < _size && y + 1 < _size)
                {
                    var colour = Modules[y, x];
                    if (Modules[y, x + 1] == colour && Modules[y + 1, x] == colour && Modules[y + 1, x + 1] == colour)
                    {
                        penalty += 3;
                    }
                }
            }
        }

        // 10 points for every full 5 % the dark share deviates from 50 %.
        var total = _size * _size;
        var steps = Math.Abs(dark * 100 - total * 50) / (total * 5);
        return penalty + steps * 10;
    }

    private int LinePenalty(int line, bool horizontal)
    {
        bool At(int i) => i >= 0 && i < _size && (horizontal ? Modules[line, i] : Modules[i, line]);

        var penalty = 0;
        var run = 1;
        for (var i = 1; i <= _size; i++)
        {
            if (i < _size && At(i) == At(i - 1))
            {
                run++;
                continue;
            }

            if (run >= 5)
            {
                penalty += 3 + run - 5;
            }

            run = 1;
        }

        // 1:1:3:1:1 dark-light-dark-light-dark with four light modules on one side; outside the symbol
        // counts as light because the quiet zone is.
        for (var start = -4; start + 10 < _size; start++)
        {
            var core = At(start + 4) && !At(start + 5) && At(start + 6) && At(start + 7) && At(start + 8) && !At(start + 9) && At(start + 10);
            if (!core)
            {
                continue;
            }

            var lightBefore = !At(start) && !At(start + 1) && !At(start + 2) && !At(start + 3);
            var lightAfter = !At(start + 11) && !At(start + 12) && !At(start + 13) && !At(start + 14);
            if (lightBefore)
            {
                penalty += 40;
            }

            if (lightAfter)
            {
                penalty += 40;
            }
        }

        return penalty;
    }

    private void DrawVersionBits()
    {
        if (_version < 7)
        {
            return;
        }

        var bits = QrCode.VersionBits(_version);
        for (var i = 0; i < 18; i++)
        {
            var bit = Bit(bits, i);
            int a = _size - 11 + i % 3, b = i / 3;
            Set(a, b, bit); // top right: 6 rows × 3 columns
            Set(b, a, bit); // bottom left: 3 rows × 6 columns
        }
    }

    private void DrawFinder(int centreX, int centreY)
    {
        // 7×7 finder plus its one-module light separator, clipped at the symbol edge.
        for (var dy = -4; dy <= 4; dy++)
        {
            for (var dx = -4; dx <= 4; dx++)
            {
                int x = centreX + dx, y = centreY + dy;
                if (x < 0 || y < 0 || x >= _size || y >= _size)
                {
                    continue;
                }

                var distance = Math.Max(Math.Abs(dx), Math.Abs(dy));
                Set(x, y, distance != 2 && distance != 4);
            }
        }
    }

    private void DrawAlignment(int centreX, int centreY)
    {
        for (var dy = -2; dy <= 2; dy++)
        {
            for (var dx = -2; dx <= 2; dx++)
            {
                Set(centreX + dx, centreY + dy, Math.Max(Math.Abs(dx), Math.Abs(dy)) != 1);
            }
        }
    }

    private void Set(int x, int y, bool dark)
    {
        Modules[y, x] = dark;
        _function[y, x] = true;
    }

    private static bool Bit(int value, int index) => ((value >> index) & 1) != 0;
}

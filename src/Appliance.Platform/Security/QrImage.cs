using QRCoder;

namespace Appliance.Platform.Security;

/// <summary>
/// A QR code for an <c>otpauth://</c> enrolment URI, encoded and rendered by QRCoder: byte mode, the smallest version
/// that fits, SVG and PNG output through QRCoder's <see cref="SvgQRCode"/> and <see cref="PngByteQRCode"/> renderers
/// (plain .NET, no System.Drawing, so the API stays trim- and AOT-clean).
/// </summary>
public sealed class QrImage
{
    /// <summary>Largest module size accepted, so a careless caller cannot allocate a huge image.</summary>
    public const int MaxPixelsPerModule = 64;

    private readonly QRCodeData _data;

    private QrImage(QRCodeData data) => _data = data;

    /// <summary>The symbol's version (1–40): 17 + 4 × version modules per side.</summary>
    public int Version => _data.Version;

    /// <summary>Encodes <paramref name="text"/> at error-correction level M unless told otherwise.</summary>
    /// <remarks>
    /// Always UTF-8 byte mode without an ECI header (QRCoder would otherwise pick ISO-8859-1 for text that fits it);
    /// an <c>otpauth://</c> URI is ASCII anyway, its non-ASCII parts percent-encoded.
    /// </remarks>
    public static QrImage Encode(string text, QRCodeGenerator.ECCLevel level = QRCodeGenerator.ECCLevel.M)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new QrImage(QRCodeGenerator.GenerateQrCode(text, level, forceUtf8: true));
    }

    /// <summary>An SVG document of the symbol with its quiet zone, <paramref name="pixelsPerModule"/> units per module.</summary>
    public string ToSvg(int pixelsPerModule = 4) => new SvgQRCode(_data).GetGraphic(CheckScale(pixelsPerModule));

    /// <summary>A black-and-white PNG of the symbol with its quiet zone.</summary>
    public byte[] ToPng(int pixelsPerModule = 4) => new PngByteQRCode(_data).GetGraphic(CheckScale(pixelsPerModule));

    public string ToPngDataUri(int pixelsPerModule = 4) => "data:image/png;base64," + Convert.ToBase64String(ToPng(pixelsPerModule));

    private static int CheckScale(int pixelsPerModule)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pixelsPerModule, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pixelsPerModule, MaxPixelsPerModule);
        return pixelsPerModule;
    }
}

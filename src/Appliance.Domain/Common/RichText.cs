using System.Collections.Frozen;
using System.Net;
using System.Text;

namespace Appliance.Domain.Common;

/// <summary>
/// Sanitises user-written rich text to the tags the appliance allows (<c>p br strong em ul ol li</c>, no attributes), so
/// ticket descriptions and comments can be shown as HTML without a script ever getting through. Other tags are dropped
/// and their text kept; script-like elements are dropped with their content; text is re-encoded; the result is always
/// well nested. A small allow-list parser rather than a general HTML one: with no attributes allowed, every output
/// tag is one we wrote ourselves.
/// </summary>
public static class RichText
{
    private static readonly FrozenSet<string> AllowedTags =
        new[] { "p", "br", "strong", "em", "ul", "ol", "li" }.ToFrozenSet(StringComparer.Ordinal);

    // Elements whose content is code or markup, never text a reader should see.
    private static readonly FrozenSet<string> DroppedWithContent =
        new[] { "script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "title", "svg", "math", "head", "select", "xmp", "noembed", "noframes" }
            .ToFrozenSet(StringComparer.Ordinal);

    public static string Sanitize(string? html)
    {
        if (string.IsNullOrEmpty(html))
        {
            return string.Empty;
        }

        var output = new StringBuilder(html.Length);
        var open = new List<string>();
        var i = 0;
        while (i < html.Length)
        {
            if (html[i] != '<')
            {
                var end = html.IndexOf('<', i);
                if (end < 0)
                {
                    end = html.Length;
                }

                AppendText(output, html.AsSpan(i, end - i));
                i = end;
                continue;
            }

            i = ReadMarkup(html, i, output, open);
        }

        for (var k = open.Count - 1; k >= 0; k--)
        {
            output.Append("</").Append(open[k]).Append('>');
        }

        return output.ToString();
    }

    /// <summary>The text a reader sees (tags removed, entities decoded, whitespace collapsed): for length rules and previews.</summary>
    public static string ToPlainText(string? html)
    {
        var sanitized = Sanitize(html);
        var text = new StringBuilder(sanitized.Length);
        var inTag = false;
        foreach (var c in sanitized)
        {
            if (c == '<')
            {
                inTag = true;
                text.Append(' ');
            }
            else if (c == '>')
            {
                inTag = false;
            }
            else if (!inTag)
            {
                text.Append(c);
            }
        }

        var decoded = WebUtility.HtmlDecode(text.ToString());
        return string.Join(' ', decoded.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    private static int ReadMarkup(string html, int start, StringBuilder output, List<string> open)
    {
        if (string.CompareOrdinal(html, start, "<!--", 0, 4) == 0)
        {
            var close = html.IndexOf("-->", start + 4, StringComparison.Ordinal);
            return close < 0 ? html.Length : close + 3;
        }

        var next = start + 1 < html.Length ? html[start + 1] : '\0';
        if (next is '!' or '?')
        {
            var close = html.IndexOf('>', start);
            return close < 0 ? html.Length : close + 1;
        }

        var closing = next == '/';
        var nameStart = closing ? start + 2 : start + 1;
        if (nameStart >= html.Length || !char.IsAsciiLetter(html[nameStart]))
        {
            output.Append("&lt;");
            return start + 1;
        }

        var nameEnd = nameStart;
        while (nameEnd < html.Length && (char.IsAsciiLetterOrDigit(html[nameEnd]) || html[nameEnd] == '-'))
        {
            nameEnd++;
        }

        var name = html[nameStart..nameEnd].ToLowerInvariant();
        var (tagEnd, selfClosing) = FindTagEnd(html, nameEnd);
        if (tagEnd < 0)
        {
            // An unterminated tag swallows the rest, as a browser would; we drop it instead of guessing.
            return html.Length;
        }

        if (closing)
        {
            Close(name, output, open);
            return tagEnd + 1;
        }

        if (DroppedWithContent.Contains(name))
        {
            return selfClosing ? tagEnd + 1 : SkipElement(html, name, tagEnd + 1);
        }

        if (AllowedTags.Contains(name))
        {
            if (name == "br")
            {
                output.Append("<br>");
            }
            else if (!selfClosing)
            {
                output.Append('<').Append(name).Append('>');
                open.Add(name);
            }
        }

        return tagEnd + 1;
    }

    private static (int End, bool SelfClosing) FindTagEnd(string html, int from)
    {
        var quote = '\0';
        for (var k = from; k < html.Length; k++)
        {
            var c = html[k];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '>')
            {
                return (k, k > from && html[k - 1] == '/');
            }
        }

        return (-1, false);
    }

    private static int SkipElement(string html, string name, int from)
    {
        var closeTag = "</" + name;
        var at = from;
        while (true)
        {
            var found = html.IndexOf(closeTag, at, StringComparison.OrdinalIgnoreCase);
            if (found < 0)
            {
                return html.Length;
            }

            var after = found + closeTag.Length;
            if (after >= html.Length || !char.IsAsciiLetterOrDigit(html[after]))
            {
                var end = html.IndexOf('>', after);
                return end < 0 ? html.Length : end + 1;
            }

            at = after;
        }
    }

    private static void Close(string name, StringBuilder output, List<string> open)
    {
        var index = open.LastIndexOf(name);
        if (index < 0)
        {
            return;
        }

        for (var k = open.Count - 1; k >= index; k--)
        {
            output.Append("</").Append(open[k]).Append('>');
        }

        open.RemoveRange(index, open.Count - index);
    }

    private static void AppendText(StringBuilder output, ReadOnlySpan<char> raw)
    {
        var decoded = WebUtility.HtmlDecode(raw.ToString());
        foreach (var c in decoded)
        {
            switch (c)
            {
                case '&':
                    output.Append("&amp;");
                    break;
                case '<':
                    output.Append("&lt;");
                    break;
                case '>':
                    output.Append("&gt;");
                    break;
                case '\n' or '\r' or '\t':
                    output.Append(c);
                    break;
                default:
                    if (!char.IsControl(c))
                    {
                        output.Append(c);
                    }

                    break;
            }
        }
    }
}

using Appliance.Domain.Common;

namespace Appliance.UnitTests.Tickets;

public sealed class RichTextTests
{
    private static readonly string[] AllowedTags = ["p", "br", "strong", "em", "ul", "ol", "li"];

    [Theory]
    [InlineData("<p>Hello <strong>world</strong></p>", "<p>Hello <strong>world</strong></p>")]
    [InlineData("<P>Mixed <EM>case</EM></P>", "<p>Mixed <em>case</em></p>")]
    [InlineData("<ul><li>a</li><li>b</li></ul><ol><li>c</li></ol>", "<ul><li>a</li><li>b</li></ul><ol><li>c</li></ol>")]
    [InlineData("line<br>break<br/>again<br />", "line<br>break<br>again<br>")]
    [InlineData("plain text", "plain text")]
    [InlineData("", "")]
    public void Allowed_tags_survive_normalised(string input, string expected) => Assert.Equal(expected, RichText.Sanitize(input));

    [Theory]
    [InlineData("<p onclick=\"alert(1)\">x</p>", "<p>x</p>")]
    [InlineData("<strong style='color:red' class=a>x</strong>", "<strong>x</strong>")]
    [InlineData("<p title=\"a > b\">x</p>", "<p>x</p>")]
    public void Attributes_are_always_removed(string input, string expected) => Assert.Equal(expected, RichText.Sanitize(input));

    [Theory]
    [InlineData("<script>alert(1)</script>ok", "ok")]
    [InlineData("<SCRIPT src=x></SCRIPT >ok", "ok")]
    [InlineData("<style>p{}</style>ok", "ok")]
    [InlineData("<iframe src=javascript:alert(1)></iframe>ok", "ok")]
    [InlineData("<svg><script>alert(1)</script></svg>ok", "ok")]
    [InlineData("<script>never closed", "")]
    [InlineData("<scripts>text</scripts>", "text")]
    [InlineData("<script>a</scriptx>b</script>c", "c")]
    public void Code_elements_are_dropped_with_their_content(string input, string expected) => Assert.Equal(expected, RichText.Sanitize(input));

    [Theory]
    [InlineData("<a href=\"javascript:alert(1)\">link</a>", "link")]
    [InlineData("<img src=x onerror=alert(1)>", "")]
    [InlineData("<div><span>kept</span></div>", "kept")]
    [InlineData("<h1>Title</h1>", "Title")]
    [InlineData("<custom-element>x</custom-element>", "x")]
    public void Other_tags_are_dropped_and_their_text_kept(string input, string expected) => Assert.Equal(expected, RichText.Sanitize(input));

    [Theory]
    [InlineData("a < b and c > d", "a &lt; b and c &gt; d")]
    [InlineData("Fish & Chips", "Fish &amp; Chips")]
    [InlineData("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;")]
    [InlineData("&amp;lt;", "&amp;lt;")]
    [InlineData("Gr&uuml;&szlig;e &#8364;", "Grüße €")]
    [InlineData("<3 you", "&lt;3 you")]
    [InlineData("1 <", "1 &lt;")]
    public void Text_is_decoded_and_re_encoded(string input, string expected) => Assert.Equal(expected, RichText.Sanitize(input));

    [Theory]
    [InlineData("<!-- <script>alert(1)</script> -->ok", "ok")]
    [InlineData("<!-- never closed", "")]
    [InlineData("<!DOCTYPE html><p>x</p>", "<p>x</p>")]
    [InlineData("<?xml version=\"1.0\"?>x", "x")]
    [InlineData("<p unterminated", "")]
    public void Comments_declarations_and_broken_tags_disappear(string input, string expected) => Assert.Equal(expected, RichText.Sanitize(input));

    [Theory]
    [InlineData("<p><strong>unclosed", "<p><strong>unclosed</strong></p>")]
    [InlineData("</p>stray close", "stray close")]
    [InlineData("<p><em>a</p>b", "<p><em>a</em></p>b")]
    [InlineData("<ul><li>one<li>two</ul>", "<ul><li>one<li>two</li></li></ul>")]
    public void Output_is_always_well_nested(string input, string expected) => Assert.Equal(expected, RichText.Sanitize(input));

    [Fact]
    public void Control_characters_are_removed_but_line_breaks_kept()
    {
        Assert.Equal("a\nb\tc", RichText.Sanitize("a\nb\tc\u0000\u0007"));
    }

    [Fact]
    public void Sanitising_twice_changes_nothing()
    {
        var inputs = new[] { "<p>a <b>b</b> &amp; <script>x</script></p><br>", "x < y", "<ul><li>1", "Grüße &lt;b&gt;" };
        foreach (var input in inputs)
        {
            var once = RichText.Sanitize(input);
            Assert.Equal(once, RichText.Sanitize(once));
        }
    }

    [Fact]
    public void Random_markup_never_yields_a_tag_outside_the_allow_list()
    {
        var random = new Random(20261122);
        var pieces = new[] { "<", ">", "/", "p", "script", "img", " on", "=", "\"", "'", "a", "&", "lt;", "!--", "-->", "br", "strong", "x", " ", "li" };
        for (var run = 0; run < 5000; run++)
        {
            var input = string.Concat(Enumerable.Range(0, random.Next(1, 30)).Select(_ => pieces[random.Next(pieces.Length)]));
            var output = RichText.Sanitize(input);
            var at = 0;
            while ((at = output.IndexOf('<', at)) >= 0)
            {
                var end = output.IndexOf('>', at);
                Assert.True(end > at, $"unterminated tag in '{output}' from '{input}'");
                var tag = output[(at + 1)..end].TrimStart('/');
                Assert.Contains(tag, AllowedTags);
                at = end;
            }
        }
    }

    [Theory]
    [InlineData("<p>Hello</p><p>World</p>", "Hello World")]
    [InlineData("  spaced   out  ", "spaced out")]
    [InlineData("a &amp; b", "a & b")]
    [InlineData("<script>x</script>", "")]
    public void Plain_text_is_what_a_reader_sees(string input, string expected) => Assert.Equal(expected, RichText.ToPlainText(input));
}

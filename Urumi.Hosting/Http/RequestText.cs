using System.Text;

namespace Urumi.Hosting.Http;

/// <summary>What counts as text in a request: what a parameter, header or JSON string may hold before a route reads it.</summary>
public static class RequestText
{
    /// <summary>
    /// Well-formed UTF-16 (no lone surrogate, as a JSON escape like \ud800 can make), no control character and no
    /// U+FFFD (what broken UTF-8 in a URL decodes to): text that means what was sent.
    /// </summary>
    public static bool IsPrintable(string value)
    {
        var rest = value.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != System.Buffers.OperationStatus.Done
                || Rune.IsControl(rune) || rune == Rune.ReplacementChar)
            {
                return false;
            }
            rest = rest[used..];
        }
        return true;
    }
}

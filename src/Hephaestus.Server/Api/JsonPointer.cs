using System.Text;

namespace Hephaestus.Server.Api;

/// <summary>
/// Every field a problem names is an RFC 6901 JSON pointer into the request body (<c>/steps/1/unlockRule/all/0</c>;
/// the empty string is the whole body), whichever part of the code found it: edge validation (<c>steps[1].title</c>),
/// the domain's parsers (already pointers), or the JSON reader (<c>$.steps[1].kind</c>, <c>$['odd.name']</c>).
/// </summary>
public static class JsonPointer
{
    /// <summary>The pointer for a path in any of those notations; a pointer is returned as it is.</summary>
    public static string From(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return "";
        if (path[0] == '/') return path;
        var rest = path[0] == '$' ? path[1..] : path;
        // A dotted path may be followed by a pointer (a domain error under an edge prefix: "definition/options/1").
        var slash = FirstSlashOutsideBrackets(rest);
        var (head, tail) = slash >= 0 ? (rest[..slash], rest[slash..]) : (rest, "");
        var pointer = new StringBuilder();
        for (var i = 0; i < head.Length;)
        {
            switch (head[i])
            {
                case '.':
                    i++;
                    break;
                case '[':
                    var close = head.IndexOf(']', i);
                    var end = close < 0 ? head.Length : close;
                    Append(pointer, head[(i + 1)..end].Trim('\'', '"'));
                    i = end + 1;
                    break;
                default:
                    var next = head.IndexOfAny(['.', '['], i);
                    if (next < 0) next = head.Length;
                    Append(pointer, head[i..next]);
                    i = next;
                    break;
            }
        }

        return pointer.Append(tail).ToString();
    }

    static int FirstSlashOutsideBrackets(string path)
    {
        var inBrackets = false;
        for (var i = 0; i < path.Length; i++)
        {
            switch (path[i])
            {
                case '[': inBrackets = true; break;
                case ']': inBrackets = false; break;
                case '/' when !inBrackets: return i;
            }
        }

        return -1;
    }

    static void Append(StringBuilder pointer, string token) =>
        pointer.Append('/').Append(token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Hephaestus.Domain.Xapi;

/// <summary>
/// The value formats of xAPI 2.0 (IEEE 9274.1.1) that a Statement's strings must follow: IRIs, mailto IRIs, UUIDs,
/// RFC 5646 language tags, ISO 8601 timestamps and durations, versions, SHA-2 hashes, media types. Best-effort where the
/// specification allows it (IRIs: a scheme and no whitespace; language tags: the RFC's sequence of subtag lengths).
/// </summary>
public static partial class XapiFormats
{
    /// <summary>An absolute IRI: a scheme, a colon and at least one more character, no whitespace or control characters.</summary>
    public static bool IsIri(string value) => IriPattern().IsMatch(value) && !value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));

    /// <summary>An IRL (a locator): an IRI whose scheme is followed by an authority or path (http://…, https://…, urn-like IRIs refused).</summary>
    public static bool IsIrl(string value) => IsIri(value) && IrlPattern().IsMatch(value);

    /// <summary>"mailto:" and an address with one @ and a domain.</summary>
    public static bool IsMailto(string value) => value.StartsWith("mailto:", StringComparison.Ordinal) && MailPattern().IsMatch(value["mailto:".Length..]);

    public static bool IsSha1Hex(string value) => Sha1Pattern().IsMatch(value);

    /// <summary>A SHA-2 digest as hex: SHA-224, SHA-256, SHA-384 or SHA-512.</summary>
    public static bool IsSha2Hex(string value) => value.Length is 56 or 64 or 96 or 128 && value.All(char.IsAsciiHexDigit);

    /// <summary>The standard string form of a UUID (8-4-4-4-12 hex digits), no braces or other layouts.</summary>
    public static bool IsUuid(string value) => UuidPattern().IsMatch(value);

    /// <summary>An RFC 5646 language tag by its subtag lengths (langtag, private use, or one of the irregular grandfathered tags).</summary>
    public static bool IsLanguageTag(string value) => LanguageTagPattern().IsMatch(value) || Grandfathered.Contains(value);

    static readonly HashSet<string> Grandfathered = new(StringComparer.OrdinalIgnoreCase)
    {
        "en-GB-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux", "i-mingo", "i-navajo", "i-pwn",
        "i-tao", "i-tay", "i-tsu", "sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE",
    };

    /// <summary>An Internet media type (type/subtype, parameters allowed).</summary>
    public static bool IsMediaType(string value) => MediaTypePattern().IsMatch(value);

    /// <summary>
    /// A version of the Statement data model the LRS accepts: 1.0.x and 2.0.x (2.0 accepts 1.0 Statements, which share
    /// its data model but for 2.0's additions).
    /// </summary>
    public static bool IsAcceptedVersion(string value) => VersionPattern().IsMatch(value);

    /// <summary>The version a Statement is stored with when it names none.</summary>
    public const string CurrentVersion = "2.0.0";

    /// <summary>
    /// An ISO 8601 date and time with seconds optional, fractions any length, and a time zone offset (Z or ±hh:mm).
    /// xAPI 2.0 requires the offset; -00:00 (RFC 3339's "offset unknown") is refused because it says the time is not known as UTC.
    /// </summary>
    public static bool TryParseTimestamp(string value, out DateTimeOffset timestamp)
    {
        timestamp = default;
        var match = TimestampPattern().Match(value);
        if (!match.Success) return false;
        var offset = match.Groups["offset"].Value;
        if (offset is "-00:00" or "-0000" or "-00") return false;
        var fraction = match.Groups["fraction"].Value;
        var normal = match.Groups["date"].Value + "T" + match.Groups["hm"].Value
            + ":" + (match.Groups["sec"].Success ? match.Groups["sec"].Value : "00")
            + (fraction.Length > 0 ? "." + fraction[..Math.Min(7, fraction.Length)] : "")
            + (offset == "Z" ? "+00:00" : offset.Length == 3 ? offset + ":00" : offset.Length == 5 ? offset[..3] + ":" + offset[3..] : offset);
        return DateTimeOffset.TryParse(normal, CultureInfo.InvariantCulture, DateTimeStyles.None, out timestamp);
    }

    /// <summary>ISO 8601:2004 4.4.3.2 durations (PnYnMnDTnHnMnS, or PnW alone); the alternative format is refused.</summary>
    public static bool IsDuration(string value) => DurationPattern().IsMatch(value) && value != "P" && !value.EndsWith('T');

    /// <summary>
    /// A duration in milliseconds for the event store: weeks, days, hours, minutes and seconds exactly; a year counted as
    /// 365 days and a month as 30 (the specification itself says durations in those units cannot be converted exactly).
    /// </summary>
    public static long? DurationMilliseconds(string value)
    {
        var match = DurationPattern().Match(value);
        if (!match.Success) return null;
        double Part(string name) => match.Groups[name].Success ? double.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        var seconds = Part("w") * 7 * 86400 + Part("y") * 365 * 86400 + Part("mo") * 30 * 86400 + Part("d") * 86400
            + Part("h") * 3600 + Part("mi") * 60 + Part("s");
        var ms = seconds * 1000;
        return ms is >= 0 and < long.MaxValue ? (long)Math.Round(ms) : null;
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*:.+$", RegexOptions.Singleline)]
    private static partial Regex IriPattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]+")]
    private static partial Regex IrlPattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")]
    private static partial Regex MailPattern();

    [GeneratedRegex(@"^[0-9a-f]{40}$", RegexOptions.IgnoreCase)]
    private static partial Regex Sha1Pattern();

    [GeneratedRegex(@"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex UuidPattern();

    [GeneratedRegex(@"^(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
        + @"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?"
        + @"|[xX](?:-[A-Za-z0-9]{1,8})+)$")]
    private static partial Regex LanguageTagPattern();

    [GeneratedRegex(@"^[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+(?:\s*;\s*[A-Za-z0-9!#$&^_.+\-]+=(?:[A-Za-z0-9!#$&^_.+\-]+|""[^""]*""))*$")]
    private static partial Regex MediaTypePattern();

    [GeneratedRegex(@"^(?:1\.0|2\.0)\.[0-9]+$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^(?<date>[0-9]{4}-[0-9]{2}-[0-9]{2})T(?<hm>[0-9]{2}:[0-9]{2})(?::(?<sec>[0-9]{2})(?:\.(?<fraction>[0-9]+))?)?(?<offset>Z|[+\-][0-9]{2}(?::?[0-9]{2})?)$")]
    private static partial Regex TimestampPattern();

    [GeneratedRegex(@"^P(?:(?<w>[0-9]+(?:\.[0-9]+)?)W|(?:(?<y>[0-9]+(?:\.[0-9]+)?)Y)?(?:(?<mo>[0-9]+(?:\.[0-9]+)?)M)?(?:(?<d>[0-9]+(?:\.[0-9]+)?)D)?"
        + @"(?:T(?:(?<h>[0-9]+(?:\.[0-9]+)?)H)?(?:(?<mi>[0-9]+(?:\.[0-9]+)?)M)?(?:(?<s>[0-9]+(?:\.[0-9]+)?)S)?)?)$")]
    private static partial Regex DurationPattern();
}

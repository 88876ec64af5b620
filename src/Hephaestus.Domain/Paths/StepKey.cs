using System.Text.RegularExpressions;

namespace Hephaestus.Domain.Paths;

/// <summary>The shape of a step key: unique within a version, referred to by prerequisites, rules and educators' inserts.</summary>
public static partial class StepKey
{
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    public static partial Regex Shape();
}

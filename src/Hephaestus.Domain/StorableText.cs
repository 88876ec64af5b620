namespace Hephaestus.Domain;

/// <summary>Text PostgreSQL can store: no NUL (U+0000) and no unpaired UTF-16 surrogate (text and jsonb refuse both).</summary>
public static class StorableText
{
    public const string Refusal = "must not contain NUL (U+0000) or unpaired surrogates (U+D800 to U+DFFF)";

    /// <summary>False for text with a NUL or an unpaired surrogate.</summary>
    public static bool Is(string? text)
    {
        if (text is null) return true;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
                else return false;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}

using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Data.Identity;

/// <summary>
/// One-time sign-in links for the web app of the embedded default (Sql/0034_web_sign_in.sql). A link carries a random
/// code of 256 bits; the database keeps only its SHA-256, so a copy of the table signs nobody in.
/// </summary>
public static class SignInLinks
{
    /// <summary>How long a link stays usable: long enough to paste it into a browser, short enough not to linger in a terminal's scrollback.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    // Links used or expired more than a day ago are removed whenever a new one is made: the table stays a handful of rows.
    const string Insert = """
        WITH swept AS (DELETE FROM hephaestus.web_sign_in_links WHERE expires_at < now() - interval '1 day')
        INSERT INTO hephaestus.web_sign_in_links (code_sha256, user_id, expires_at) VALUES ($1, $2, now() + $3)
        """;

    const string Redeem = "SELECT hephaestus.redeem_web_sign_in_link($1)";

    /// <summary>Makes a link for an existing user, as the schema owner (the CLI verb); returns the code to put in its URL.</summary>
    public static async Task<string> CreateAsync(NpgsqlDataSource owner, Guid userId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var code = Base64Url(RandomNumberGenerator.GetBytes(32));
        await using var command = owner.CreateCommand(Insert);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(code) });
        command.Parameters.Add(SqlParameters.Uuid(userId));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = Lifetime, NpgsqlDbType = NpgsqlDbType.Interval });
        await command.ExecuteNonQueryAsync(ct);
        return code;
    }

    /// <summary>
    /// Uses the link with this code: the subject of its user, once, while the link is unexpired; null for a code that is
    /// unknown, used, expired or malformed (the caller cannot tell which, and neither can someone guessing codes).
    /// </summary>
    public static async Task<string?> RedeemAsync(NpgsqlDataSource app, string code, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(code);
        if (code.Length is 0 or > 64) return null;
        await using var command = app.CreateCommand(Redeem);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = Hash(code) });
        return await command.ExecuteScalarAsync(ct) as string;
    }

    static byte[] Hash(string code) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(code));

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

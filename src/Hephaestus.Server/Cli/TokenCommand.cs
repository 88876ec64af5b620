using System.CommandLine;
using Hephaestus.Data.Identity;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Auth;

namespace Hephaestus.Server.Cli;

/// <summary>
/// Mints a token for a user. For the embedded default and for installations that validate tokens with Auth:SigningKey;
/// with an external identity provider, it issues the tokens. A missing user is created (as the schema owner) with the
/// roles given; an existing account is matched by email and never changed: the token is for its own subject, and a
/// role it does not hold is refused, because the verb trusts the email and must not turn it into a way to gain roles.
/// </summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var user = new Option<string?>("--user", "-u") { Description = "Email of the user (created when no account has it)." };
        var usersFile = new Option<FileInfo?>("--users-file") { Description = "Mint one token per email in this file; prints 'email token' lines (load tests)." };
        var roles = new Option<string[]>("--role", "-r") { Description = "Role(s) of a user the verb creates: learner, educator, author, analyst, admin (default learner). An existing account keeps its roles; asking for one it does not hold is refused (an admin changes roles with PATCH /api/v1/users/{id}).", Arity = ArgumentArity.ZeroOrMore };
        var hours = new Option<double>("--hours") { Description = "Lifetime of the token in hours.", DefaultValueFactory = _ => 12 };
        var link = new Option<bool>("--link") { Description = "Print a one-time sign-in link to the web app for an existing user instead of a token (usable once, within 10 minutes, from this machine only)." };
        var command = new Command("token", "Mint a bearer token for a user (embedded default or Auth:SigningKey), creating the user with the given roles when no account has the email; an existing account's roles are never changed. With --link, a one-time sign-in link to the web app instead.") { user, usersFile, roles, hours, link };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var emails = parse.GetValue(usersFile) is { } file
                ? (await File.ReadAllLinesAsync(file.FullName, ct)).Select(l => l.Trim()).Where(l => l.Length > 0).ToList()
                : parse.GetValue(user) is { } one ? [one.Trim()] : [];
            if (emails.Count == 0)
            {
                await Console.Error.WriteLineAsync("Give --user EMAIL or --users-file FILE.");
                return 1;
            }

            var wanted = parse.GetValue(roles) ?? [];
            var unknown = wanted.Where(r => !Role.All.Contains(r)).ToList();
            if (unknown.Count > 0)
            {
                await Console.Error.WriteLineAsync($"Unknown role(s): {string.Join(", ", unknown)}. Roles are {string.Join(", ", Role.All)}.");
                return 1;
            }

            await using var cli = await CliDatabase.OpenAsync(ct);
            if (!cli.Endpoint.IsEmbedded && string.IsNullOrEmpty(cli.Configuration["Auth:SigningKey"]))
            {
                await Console.Error.WriteLineAsync("This installation validates tokens of an identity provider (Auth:Authority); get tokens there.");
                return 1;
            }

            await cli.EnsureEmbeddedSchemaAsync(ct);
            if (parse.GetValue(link)) return await PrintLinkAsync(cli, emails, wanted, parse.GetValue(usersFile) is not null, ct);

            var key = AuthHosting.SigningKey(cli.Configuration, () => cli.Endpoint.EmbeddedSigningKey);
            var exit = 0;
            foreach (var email in emails)
            {
                var account = await Provisioning.EnsureUserAsync(cli.Owner, email, wanted.Distinct().ToArray(), ct);
                if (Refusal(email, account, wanted) is { } refusal)
                {
                    await Console.Error.WriteLineAsync(refusal);
                    exit = 1;
                    continue;
                }

                var token = TokenIssuer.Issue(key, account.ExternalSubject, TimeSpan.FromHours(parse.GetValue(hours)),
                    cli.Configuration["Auth:Issuer"] ?? AuthHosting.DefaultIssuer, cli.Configuration["Auth:Audience"] ?? AuthHosting.DefaultAudience);
                Console.WriteLine(emails.Count == 1 && parse.GetValue(usersFile) is null ? token : $"{email} {token}");
            }

            return exit;
        });
        return command;
    }

    /// <summary>
    /// A one-time sign-in link for one existing account (the web app signs its holder in as that account, once, on
    /// loopback). It never creates an account or grants a role: whoever runs the verb already reaches the database.
    /// </summary>
    static async Task<int> PrintLinkAsync(CliDatabase cli, List<string> emails, string[] roles, bool fromFile, CancellationToken ct)
    {
        if (fromFile || emails.Count != 1 || roles.Length > 0)
        {
            await Console.Error.WriteLineAsync("--link signs in one existing user: give --user EMAIL, without --users-file or --role.");
            return 1;
        }

        var account = await Provisioning.FindByEmailAsync(cli.Owner, emails[0], ct);
        if (account is null)
        {
            await Console.Error.WriteLineAsync($"{emails[0]}: no account has this email; create it first (hephaestus token --user {emails[0]} --role …, or POST /api/v1/users).");
            return 1;
        }

        var code = await SignInLinks.CreateAsync(cli.Owner, account.Id, ct);
        Console.WriteLine($"{ServiceUrl(cli.Configuration)}/sign-in/link/{code}");
        return 0;
    }

    /// <summary>Where the service listens (its first configured URL), as a loopback address a browser on this machine opens.</summary>
    internal static string ServiceUrl(IConfiguration configuration)
    {
        var first = (configuration["Urls"] ?? "http://127.0.0.1:5080").Split(';', StringSplitOptions.RemoveEmptyEntries)[0];
        var uri = new UriBuilder(first.Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::") uri.Host = "127.0.0.1";
        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>
    /// Why no token is minted for this account, or null: an account that existed before the verb keeps its roles, so
    /// asking for a role it does not hold is refused rather than granted (the email is all the verb matched it by).
    /// </summary>
    internal static string? Refusal(string email, ProvisionedUser account, IEnumerable<string> wanted)
    {
        if (account.Created) return null;
        var missing = wanted.Where(r => !account.Roles.Contains(r, StringComparer.Ordinal)).Distinct().ToList();
        if (missing.Count == 0) return null;
        return $"{email}: the account exists with the role(s) {string.Join(", ", account.Roles)}; the token verb does not grant " +
            $"roles to an existing account (asked: {string.Join(", ", missing)}). An admin changes roles with PATCH " +
            $"/api/v1/users/{account.Id} and a body {{\"roles\": [...]}}; run the verb without --role for a token as the account is.";
    }
}

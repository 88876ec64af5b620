using System.CommandLine;
using Hephaestus.Data.Identity;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Auth;

namespace Hephaestus.Server.Cli;

/// <summary>
/// Mints a token for a user, creating the user (as the schema owner) if needed. For the embedded default and for
/// installations that validate tokens with Auth:SigningKey; with an external identity provider, it issues the tokens.
/// </summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var user = new Option<string?>("--user", "-u") { Description = "Email of the user (created when missing)." };
        var usersFile = new Option<FileInfo?>("--users-file") { Description = "Mint one token per email in this file; prints 'email token' lines (load tests)." };
        var roles = new Option<string[]>("--role", "-r") { Description = "Role(s) of the user: learner, educator, author, analyst, admin. Sets the user's roles when given.", Arity = ArgumentArity.ZeroOrMore };
        var hours = new Option<double>("--hours") { Description = "Lifetime of the token in hours.", DefaultValueFactory = _ => 12 };
        var command = new Command("token", "Mint a bearer token for a user (embedded default or Auth:SigningKey).") { user, usersFile, roles, hours };
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
            var key = AuthHosting.SigningKey(cli.Configuration, () => cli.Endpoint.EmbeddedSigningKey);
            foreach (var email in emails)
            {
                var subject = await Provisioning.EnsureUserAsync(cli.Owner, email, wanted.Distinct().ToArray(), ct);
                var token = TokenIssuer.Issue(key, subject, TimeSpan.FromHours(parse.GetValue(hours)),
                    cli.Configuration["Auth:Issuer"] ?? AuthHosting.DefaultIssuer, cli.Configuration["Auth:Audience"] ?? AuthHosting.DefaultAudience);
                Console.WriteLine(emails.Count == 1 && parse.GetValue(usersFile) is null ? token : $"{email} {token}");
            }

            return 0;
        });
        return command;
    }
}

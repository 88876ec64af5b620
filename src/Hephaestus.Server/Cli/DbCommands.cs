using System.CommandLine;
using Hephaestus.Data;
using Hephaestus.Server.Hosting;

namespace Hephaestus.Server.Cli;

internal static class DbCommands
{
    public static Command Create()
    {
        var db = new Command("db", "Schema migrations: apply, report, script.");

        var migrate = new Command("migrate", "Apply pending migrations (as the schema owner: ConnectionStrings__HephaestusOwner, or ConnectionStrings__Hephaestus).");
        migrate.SetAction(async (ParseResult _, CancellationToken ct) =>
        {
            await using var cli = await CliDatabase.OpenAsync(ct);
            var applied = await SchemaMigrator.MigrateAsync(cli.Owner, ct);
            Console.WriteLine(applied.Count == 0 ? "The schema is up to date." : $"Applied {applied.Count} migration(s):\n  " + string.Join("\n  ", applied));
            return 0;
        });

        var status = new Command("status", "List applied and pending migrations. Exit code 0 when current, 2 when behind.");
        status.SetAction(async (ParseResult _, CancellationToken ct) =>
        {
            await using var cli = await CliDatabase.OpenAsync(ct);
            var s = await SchemaMigrator.StatusAsync(cli.Owner, ct);
            foreach (var m in s.Applied) Console.WriteLine($"applied  {m}");
            foreach (var m in s.Pending) Console.WriteLine($"pending  {m}");
            Console.WriteLine(s.IsCurrent ? "The schema is up to date." : $"{s.Pending.Count} pending: run `{LaunchCommand.Current()} db migrate`.");
            return s.IsCurrent ? 0 : 2;
        });

        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write the script to this file instead of standard output." };
        var script = new Command("script", "Print an idempotent SQL script of every migration, for a DBA to review and run.") { output };
        script.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            // Scripting needs only the embedded SQL files, not a server.
            var sql = SchemaMigrator.Script();
            if (parse.GetValue(output) is { } file) await File.WriteAllTextAsync(file.FullName, sql, ct);
            else Console.Write(sql);
            return 0;
        });

        db.Subcommands.Add(migrate);
        db.Subcommands.Add(status);
        db.Subcommands.Add(script);
        return db;
    }
}

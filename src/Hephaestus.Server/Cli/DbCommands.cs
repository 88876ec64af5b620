using System.CommandLine;
using Hephaestus.Data;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations.Design;

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
            Console.WriteLine(s.IsCurrent ? "The schema is up to date." : $"{s.Pending.Count} pending: run `hephaestus db migrate`.");
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

        var name = new Argument<string>("name") { Description = "PascalCase name of the migration, e.g. AddLearningPaths." };
        var project = new Option<DirectoryInfo>("--project-dir") { Description = "The Hephaestus.Data folder (dotnet run starts in src/Hephaestus.Server).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("..", "Hephaestus.Data")) };
        var add = new Command("add-migration", "Contributors: scaffold a migration from the model changes (the dotnet-ef tool is not needed).") { name, project };
        add.SetAction((ParseResult parse) =>
        {
            using var dataSource = HephaestusDatabase.CreateDataSource("Host=127.0.0.1;Database=design_time");
            using var context = HephaestusDatabase.CreateContext(dataSource);
            var services = new ServiceCollection().AddEntityFrameworkDesignTimeServices().AddDbContextDesignTimeServices(context);
            // What `dotnet ef` does: the provider's design-time services. They are marked internal-use (EF1001) but are the
            // documented extension point the EF tools themselves call.
#pragma warning disable EF1001
            new Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal.NpgsqlDesignTimeServices().ConfigureDesignTimeServices(services);
#pragma warning restore EF1001
            using var provider = services.BuildServiceProvider();
            var scaffolder = provider.GetRequiredService<IMigrationsScaffolder>();
            var migration = scaffolder.ScaffoldMigration(parse.GetValue(name)!, "Hephaestus.Data", "Migrations", "C#");
            var dir = parse.GetValue(project)!.FullName;
            var files = scaffolder.Save(dir, migration, Path.Combine(dir, "Migrations"));
            Console.WriteLine($"Wrote {files.MigrationFile}\n      {files.MetadataFile}\n      {files.SnapshotFile}");
            return 0;
        });

        db.Subcommands.Add(migrate);
        db.Subcommands.Add(status);
        db.Subcommands.Add(script);
        db.Subcommands.Add(add);
        return db;
    }
}

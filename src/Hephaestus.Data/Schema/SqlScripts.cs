namespace Hephaestus.Data;

/// <summary>
/// The schema is defined by embedded Sql/*.sql files that the migrations in <see cref="SchemaMigrations.All"/> name. A shipped
/// file is never edited: a change is a new file in a new migration.
/// </summary>
public static class SqlScripts
{
    public static string Load(string fileName)
    {
        var resource = $"Hephaestus.Data.Sql.{fileName}";
        using var stream = typeof(SqlScripts).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException(
                $"Embedded SQL script '{fileName}' not found. Available: {string.Join(", ", typeof(SqlScripts).Assembly.GetManifestResourceNames())}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

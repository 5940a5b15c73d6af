using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;

namespace Urumi.Hosting.Http;

/// <summary>
/// The built single-page app (the dashboard): the folder in the Hosting:StaticFiles setting, dashboard/dist by default,
/// relative to the content root, used when it has an index.html. Its index.html carries `&lt;base href="/"&gt;`; served
/// under another path, the base names that path, so that its relative asset links and its router follow.
/// </summary>
public sealed class StaticSite
{
    private const string RootBase = "<base href=\"/\"";
    private static readonly FileExtensionContentTypeProvider _types = new();

    private StaticSite(string root)
    {
        Root = root;
        Files = new PhysicalFileProvider(root);
    }

    public string Root { get; }

    public PhysicalFileProvider Files { get; }

    /// <summary>The site, or null when its folder has no index.html (not built).</summary>
    public static StaticSite? Find(IConfiguration configuration, string contentRoot)
    {
        var root = Path.GetFullPath(configuration["Hosting:StaticFiles"] ?? "dashboard/dist", contentRoot);
        return File.Exists(Path.Combine(root, "index.html")) ? new StaticSite(root) : null;
    }

    /// <summary>
    /// The answer to GET <paramref name="path"/> of the site served at <paramref name="basePath"/>: the file, else (a
    /// client route: no extension) index.html; a missing file with an extension, or a path leaving the folder, is 404.
    /// </summary>
    public async Task<IResult> ServeAsync(string? path, string basePath, CancellationToken ct)
    {
        var file = string.IsNullOrEmpty(path) ? null : Files.GetFileInfo(path);
        if (file is { Exists: true, IsDirectory: false })
        {
            return Results.File(file.PhysicalPath!, ContentType(file.Name));
        }
        if (!string.IsNullOrEmpty(Path.GetExtension(path)))
        {
            return Problems.Create(404, "not-found", "Not found", $"The site has no file '{path}'.");
        }
        var index = await File.ReadAllTextAsync(Path.Combine(Root, "index.html"), ct);
        return Results.Content(index.Replace(RootBase, $"<base href=\"{basePath}\"", StringComparison.Ordinal), "text/html; charset=utf-8");
    }

    private static string ContentType(string name) =>
        _types.TryGetContentType(name, out var type) ? type : "application/octet-stream";
}

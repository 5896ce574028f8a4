using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Storage.Registry;

namespace Puhui.Host.Http;

public sealed record RegistryProjectListDto(IReadOnlyList<RegistryProject> Projects);

public sealed record RegistryBatchListDto(IReadOnlyList<RegistryBatch> Batches);

/// <summary>
/// The public registry (注登系统公示, DESIGN §8, §11), without login: registered projects with their documents,
/// registration history, monitoring periods and reversals, and the batches issued for them with issued, held,
/// pledged, retired, cancelled and buffer totals read from the ledger's balances; exports in CSV and JSON.
/// </summary>
public static class RegistryPublicEndpoints
{
    public const string CsvMediaType = "text/csv; charset=utf-8";
    public const string JsonMediaType = "application/json; charset=utf-8";

    public static RouteGroupBuilder MapRegistryPublic(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/public/registry").WithTags("Public registry");
        group.MapGet("/projects", Projects).WithName("ListPublicRegistryProjects");
        group.MapGet("/projects/{id:long}", Project).WithName("GetPublicRegistryProject");
        group.MapGet("/batches", Batches).WithName("ListRegistryBatches");
        group.MapGet("/export.csv", (RegistryQueries queries) => Export(queries, RegistryExportFormat.Csv, CsvMediaType, "puhui-registry.csv")).WithName("ExportRegistryCsv");
        group.MapGet("/export.json", (RegistryQueries queries) => Export(queries, RegistryExportFormat.Json, JsonMediaType, "puhui-registry.json")).WithName("ExportRegistryJson");
        return group;
    }

    private static async Task<Ok<RegistryProjectListDto>> Projects(RegistryQueries queries, CancellationToken ct)
        => TypedResults.Ok(new RegistryProjectListDto(await queries.ProjectsAsync(ct)));

    private static async Task<Results<Ok<RegistryProject>, ProblemHttpResult>> Project(long id, RegistryQueries queries, CancellationToken ct)
        => await queries.ProjectAsync(id, ct) is { } project
            ? TypedResults.Ok(project)
            : Problems.Of("project-not-found", $"project {id} is not a registered project");

    private static async Task<Ok<RegistryBatchListDto>> Batches(RegistryQueries queries, CancellationToken ct)
        => TypedResults.Ok(new RegistryBatchListDto(await queries.BatchesAsync(ct)));

    private static PushStreamHttpResult Export(RegistryQueries queries, RegistryExportFormat format, string mediaType, string fileName)
        => TypedResults.Stream(async body =>
        {
            await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true);
            await queries.ExportAsync(format, writer);
        }, mediaType, fileName);
}

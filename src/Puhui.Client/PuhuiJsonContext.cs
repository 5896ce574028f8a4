using System.Text.Json;
using System.Text.Json.Serialization;

namespace Puhui.Client;

/// <summary>
/// The source-generated JSON contract of the ingestion API, shared by the client and the server: camelCase
/// property names, dictionary keys as given, null properties omitted, and strict reading (a missing required
/// property or a null where the contract has none is a <see cref="JsonException"/>).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(BehaviourBatch))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(BindingRequest))]
[JsonSerializable(typeof(BindingResponse))]
[JsonSerializable(typeof(Problem))]
public sealed partial class PuhuiJsonContext : JsonSerializerContext;

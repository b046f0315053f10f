using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Api.Crm;
using Appliance.Api.Health;
using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Api.Sla;
using Appliance.Api.Tickets;
using Appliance.Domain.Audit;
using Appliance.Domain.Crm;
using Appliance.Domain.Identity;
using Appliance.Domain.Sla;
using Appliance.Domain.Tickets;

namespace Appliance.Api.Json;

/// <summary>Every type the API reads or writes, generated at compile time (no reflection-based serialisation).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    AllowDuplicateProperties = false,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(NulFreeStringConverter)])]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ReadyResponse))]
[JsonSerializable(typeof(Customer))]
[JsonSerializable(typeof(CreateCustomerRequest))]
[JsonSerializable(typeof(UpdateCustomerRequest))]
[JsonSerializable(typeof(ListResponse<Customer>))]
[JsonSerializable(typeof(Contact))]
[JsonSerializable(typeof(List<Contact>))]
[JsonSerializable(typeof(CreateContactRequest))]
[JsonSerializable(typeof(UpdateContactRequest))]
[JsonSerializable(typeof(ListResponse<Contact>))]
[JsonSerializable(typeof(Site))]
[JsonSerializable(typeof(List<Site>))]
[JsonSerializable(typeof(CreateSiteRequest))]
[JsonSerializable(typeof(UpdateSiteRequest))]
[JsonSerializable(typeof(ListResponse<Site>))]
[JsonSerializable(typeof(Shaped))]
[JsonSerializable(typeof(ListResponse<Shaped>))]
[JsonSerializable(typeof(Ticket))]
[JsonSerializable(typeof(ListResponse<Ticket>))]
[JsonSerializable(typeof(TicketComment))]
[JsonSerializable(typeof(ListResponse<TicketComment>))]
[JsonSerializable(typeof(CreateCommentRequest))]
[JsonSerializable(typeof(UpdateCommentRequest))]
[JsonSerializable(typeof(TimeEntry))]
[JsonSerializable(typeof(ListResponse<TimeEntry>))]
[JsonSerializable(typeof(CreateTimeEntryRequest))]
[JsonSerializable(typeof(UpdateTimeEntryRequest))]
[JsonSerializable(typeof(CreateTicketRequest))]
[JsonSerializable(typeof(UpdateTicketRequest))]
[JsonSerializable(typeof(MergeTicketRequest))]
[JsonSerializable(typeof(AddWatcherRequest))]
[JsonSerializable(typeof(TicketWatcher))]
[JsonSerializable(typeof(TicketWatchersResponse))]
[JsonSerializable(typeof(TicketCustomerSummary))]
[JsonSerializable(typeof(TicketUserSummary))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(RefreshRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(MeResponse))]
[JsonSerializable(typeof(JsonWebKeySetView))]
[JsonSerializable(typeof(User))]
[JsonSerializable(typeof(ListResponse<User>))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(UpdateUserRequest))]
[JsonSerializable(typeof(MfaChallengeResponse))]
[JsonSerializable(typeof(MfaCodeRequest))]
[JsonSerializable(typeof(MfaVerifyRequest))]
[JsonSerializable(typeof(MfaPolicyRequest))]
[JsonSerializable(typeof(MfaEnrolmentResponse))]
[JsonSerializable(typeof(MfaConfirmResponse))]
[JsonSerializable(typeof(RecoveryCodesResponse))]
[JsonSerializable(typeof(MfaPolicyView))]
[JsonSerializable(typeof(ApiKey))]
[JsonSerializable(typeof(ListResponse<ApiKey>))]
[JsonSerializable(typeof(CreateApiKeyRequest))]
[JsonSerializable(typeof(CreatedApiKeyResponse))]
[JsonSerializable(typeof(AuditRecord))]
[JsonSerializable(typeof(ListResponse<AuditRecord>))]
[JsonSerializable(typeof(SlaPolicyInput))]
[JsonSerializable(typeof(SlaPolicyView))]
[JsonSerializable(typeof(ListResponse<SlaPolicyView>))]
[JsonSerializable(typeof(AssignSlaPolicyRequest))]
[JsonSerializable(typeof(CustomerSlaAssignment))]
[JsonSerializable(typeof(SlaPreview))]
[JsonSerializable(typeof(string))]
public sealed partial class ApiJsonContext : JsonSerializerContext;

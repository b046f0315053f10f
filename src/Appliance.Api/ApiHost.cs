using Appliance.Api.Crm;
using Appliance.Api.Health;
using Appliance.Api.Http;
using Appliance.Api.Identity;
using Appliance.Api.Json;
using Appliance.Api.OpenApi;
using Appliance.Api.Sla;
using Appliance.Api.Tickets;
using Appliance.Domain.Audit;
using Appliance.Domain.Common;
using Appliance.Domain.Crm;
using Appliance.Domain.Identity;
using Appliance.Domain.Sla;
using Appliance.Domain.Tickets;
using Appliance.Platform.Configuration;
using Appliance.Platform.Database;
using Appliance.Platform.Hosting;
using Appliance.Platform.Logging;
using Appliance.Platform.Metrics;
using Appliance.Platform.Redis;
using Appliance.Platform.Security;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.HttpOverrides;
using Serilog;

namespace Appliance.Api;

/// <summary>Composes the API: configuration, services, the middleware order and the explicitly mapped modules.</summary>
public static class ApiHost
{
    /// <summary>Builds the application; a bad setting throws <see cref="ConfigurationException"/> before anything listens.</summary>
    /// <param name="args">Command-line arguments (<c>--Key=value</c> settings).</param>
    /// <param name="overrides">Settings that win over every other source (tests).</param>
    /// <param name="configure">Last-minute service changes before the app is built (tests add log capture here).</param>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddApplianceSources(args);
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        var settings = ApplianceSettings.Load(builder.Configuration);
        var identity = IdentitySettings.Load(builder.Configuration);
        var signingKeys = SigningKeyRing.Load(identity.KeyDirectory);
        var security = SecuritySettings.Load(builder.Configuration);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(identity);
        builder.Services.AddSingleton(signingKeys);
        builder.Services.AddSingleton(new FieldEncryption(security.FieldEncryptionKey.Span));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(LoadRateLimits(builder.Configuration));

        builder.AddApplianceLogging("appliance-api");

        builder.WebHost.UseUrls(settings.Http.Url.GetLeftPart(UriPartial.Authority));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.Http.MaxRequestBodyBytes;
            kestrel.Limits.RequestHeadersTimeout = settings.Http.RequestHeadersTimeout;
        });

        builder.Services.ConfigureHttpJsonOptions(options => ConfigureJson(options));
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddApiDocumentation();

        builder.Services.AddSingleton(_ => ApplianceDataSource.Create(settings.Database.ConnectionString, "appliance-api"));
        // The process's one StackExchange.Redis multiplexer, connecting in the background (docs/decisions/0004).
        builder.Services.AddSingleton<IRedisClient>(_ => new MultiplexedRedisClient(settings.Redis, "appliance-api"));
        builder.Services.AddSingleton(services => new Migrator(
            services.GetRequiredService<Npgsql.NpgsqlDataSource>(),
            Migration.Embedded(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger<Migrator>()));
        builder.Services.AddSingleton<TokenService>();
        builder.Services.AddSingleton<LoginGuard>();
        builder.Services.AddSingleton<UserStore>();
        builder.Services.AddSingleton<RefreshTokenStore>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<MfaStore>();
        builder.Services.AddSingleton<RolePolicyStore>();
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<MfaChallenges>();
        builder.Services.AddSingleton<MfaVerifier>();
        builder.Services.AddSingleton<SessionIssuer>();
        builder.Services.AddSingleton<ApiKeyAuthenticator>();
        builder.Services.AddApplianceAuthentication();
        builder.Services.AddSingleton<CustomerStore>();
        builder.Services.AddSingleton<ContactStore>();
        builder.Services.AddSingleton<SiteStore>();
        builder.Services.AddSingleton<ListTotals>();
        builder.Services.AddSingleton<ISlaPolicySource, SlaPolicySource>();
        builder.Services.AddSingleton<TicketStore>();
        builder.Services.AddSingleton<CommentStore>();
        builder.Services.AddSingleton<TimeEntryStore>();
        builder.Services.AddSingleton<SlaPolicyStore>();
        builder.Services.AddApplianceSystemd();
        ApplianceMetrics.Configure();
        builder.Services.AddSingleton<ActiveTicketsGauge>();

        configure?.Invoke(builder);
        var app = builder.Build();
        UsePipeline(app, settings);
        MapModules(app);
        return app;
    }

    private static RateLimitSettings LoadRateLimits(IConfiguration configuration)
    {
        static int Read(IConfiguration configuration, string key, int fallback)
        {
            var text = configuration[key];
            if (string.IsNullOrWhiteSpace(text))
            {
                return fallback;
            }

            return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= 1_000_000
                ? value
                : throw new ConfigurationException(key, $"must be a whole number from 1 to 1000000, got '{text}'");
        }

        return new RateLimitSettings(
            Read(configuration, "RateLimit:PerUserPerMinute", 1200),
            Read(configuration, "RateLimit:PerIpPerMinute", 300),
            TimeSpan.FromMinutes(1),
            Read(configuration, "RateLimit:AuthFailuresPerIpPerMinute", 30));
    }

    private static void ConfigureJson(JsonOptions options)
    {
        options.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
        options.SerializerOptions.DictionaryKeyPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
        options.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
        ApiJsonOptions.ApplyStrictReading(options.SerializerOptions);
    }

    private static void UsePipeline(WebApplication app, ApplianceSettings settings)
    {
        var errorLogger = app.Services.GetRequiredService<ILogger<ErrorHandlingMiddleware>>();
        app.Use(next => new RequestIdMiddleware(next, settings.Http.InstanceName).InvokeAsync);
        app.Use(next => new HttpMetricsMiddleware(next).InvokeAsync);
        app.UseSerilogRequestLogging(RequestLogging.Configure(app.Services));
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var status = http.Response.StatusCode;
            await ApiErrors.WriteAsync(http, status, ErrorCodes.ForStatus(status), ErrorHandlingMiddleware.DescribeStatus(http, status, settings.Http.MaxRequestBodyBytes));
        });
        app.Use(next => new ErrorHandlingMiddleware(next, errorLogger, settings.Http.MaxRequestBodyBytes).InvokeAsync);
        if (settings.Http.TrustedProxies.Count > 0)
        {
            // Behind HAProxy the peer is the proxy; the client address (for login limits and audit) is in X-Forwarded-For.
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, ForwardLimit = 1 };
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in settings.Http.TrustedProxies)
            {
                forwarded.KnownProxies.Add(proxy);
            }

            app.UseForwardedHeaders(forwarded);
        }

        app.UseRouting();
        app.UseApplianceAuthentication();
        var limiter = app.Services.GetRequiredService<RedisRateLimiter>();
        var rateLimits = app.Services.GetRequiredService<RateLimitSettings>();
        var time = app.Services.GetRequiredService<TimeProvider>();
        var rateLogger = app.Services.GetRequiredService<ILogger<RateLimitMiddleware>>();
        app.Use(next => new RateLimitMiddleware(next, limiter, rateLimits, time, rateLogger).InvokeAsync);
    }

    private static void MapModules(WebApplication app)
    {
        app.MapHealthApi();
        app.MapApplianceMetrics();
        app.MapOpenApi("/api/{documentName}/openapi.json").AllowAnonymous();
        app.MapAuthApi();
        app.MapMfaApi();
        app.MapUsersApi();
        app.MapApiKeysApi();
        app.MapAuditApi();
        app.MapCustomersApi();
        app.MapContactsApi();
        app.MapSitesApi();
        app.MapTicketsApi();
        app.MapCommentsApi();
        app.MapTimeEntriesApi();
        app.MapSlaApi();
    }
}

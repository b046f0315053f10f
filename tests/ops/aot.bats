#!/usr/bin/env bats
# Usage: bats tests/ops/aot.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# A trim or AOT warning fails the Native AOT publish. A throwaway program is published with the release's own
# src/Publish.props (ApplianceReleaseShape=aot) and TreatWarningsAsErrors, as the API is, with the Roslyn trim and
# AOT analysers off so that only the AOT compiler (ILC) can see its one unsafe call (Type.GetType on a run-time
# string, IL2057). Needs the .NET SDK and the AOT compiler package (restored for the API) plus gcc; takes a minute.

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
  command -v dotnet >/dev/null || { echo "dotnet not on PATH" >&2; return 1; }
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

@test "an AOT warning found only by the AOT compiler fails the publish" {
  local dir="$BATS_TEST_TMPDIR/aotwarn"
  mkdir -p -- "$dir"
  # Stops MSBuild's search for Directory.*.props above the temporary directory.
  printf '<Project />\n' >"$dir/Directory.Build.props"
  printf '<Project />\n' >"$dir/Directory.Build.targets"
  cat >"$dir/AotWarn.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <InvariantGlobalization>true</InvariantGlobalization>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <ApplianceReleaseShape>aot</ApplianceReleaseShape>
    <IsAotCompatible>false</IsAotCompatible>
    <EnableTrimAnalyzer>false</EnableTrimAnalyzer>
    <EnableAotAnalyzer>false</EnableAotAnalyzer>
    <EnableSingleFileAnalyzer>false</EnableSingleFileAnalyzer>
  </PropertyGroup>
  <Import Project="$REPO_ROOT/src/Publish.props" />
</Project>
XML
  cat >"$dir/Program.cs" <<'CS'
var name = args.Length > 0 ? args[0] : "System.String";
System.Console.WriteLine(System.Type.GetType(name)?.GetMethods().Length);
CS
  run dotnet publish "$dir/AotWarn.csproj" -c Release -r linux-x64 -o "$dir/out" -nologo
  printf '# %s\n' "${lines[@]}" | grep -E 'IL[0-9]{4}|error|Generating' >&3 || true
  [ "$status" -ne 0 ]
  [[ "$output" == *"Generating native code"* ]]
  [[ "$output" == *"error IL2057"* ]]
  [ ! -e "$dir/out/AotWarn" ]
}

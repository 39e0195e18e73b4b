<#
.SYNOPSIS
  Build the Windows installer of Neural Network Playground: the PyInstaller one-folder bundle in
  dist\playground\, then dist\playground-<version>-windows-x64-setup.exe with NSIS.

.DESCRIPTION
  What a maintainer runs on 64-bit Windows 10 or 11, from any folder:

      powershell -ExecutionPolicy Bypass -File packaging\windows\build-windows.ps1

  Needs: 64-bit Python 3.10 or later (python.org; -Python names it), NSIS 3 (nsis.sourceforge.io;
  makensis on PATH or in its default folder), and the internet for pip. The Windows wheels of torch
  on PyPI are the CPU build, so a plain "pip install torch==X" is right here (unlike Linux, whose
  PyPI wheel is CUDA's).

  Steps, like packaging/build-deb.sh on Linux: a clean venv in build\bundle-venv, torch, PyInstaller
  and the app into it, PyInstaller with packaging\playground.spec (playground.exe, which keeps a
  console for the command line, and playgroundw.exe, without one, for the shortcuts), a smoke test
  (playgroundw.exe is no console program, so playground.exe --version), then makensis with
  packaging\windows\playground.nsi. The version is playground.__version__, read from
  playground\__init__.py.

.PARAMETER Python
  The Python that makes the venv (default: "py -3" where the py launcher is, else "python").

.PARAMETER CertificateThumbprint
  Optional: sign playground.exe, playgroundw.exe and the installer with this code-signing
  certificate from the certificate store (signtool from the Windows SDK on PATH). The uninstaller
  that NSIS writes inside the installer stays unsigned.

.PARAMETER SkipBundle
  Reuse dist\playground\ and only make the installer.
#>
[CmdletBinding()]
param(
    [string]$Python = "",
    [string]$TorchVersion = $(if ($env:TORCH_VERSION) { $env:TORCH_VERSION } else { "2.13.0" }),
    [string]$PyInstallerVersion = $(if ($env:PYINSTALLER_VERSION) { $env:PYINSTALLER_VERSION } else { "6.22.3" }),
    [string]$CertificateThumbprint = "",
    [string]$TimestampUrl = "http://timestamp.digicert.com",
    [switch]$SkipBundle
)
Set-StrictMode -Version Latest
$ErrorActionPreference = "Stop"

# A native program's failure does not stop a PowerShell script: check each exit code.
function Invoke-Native {
    param([Parameter(Mandatory)][string]$Program, [string[]]$Arguments = @())
    Write-Host "> $Program $($Arguments -join ' ')"
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Program failed with exit code $LASTEXITCODE" }
}

$root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $root
$match = Select-String -Path "playground\__init__.py" -Pattern '^__version__\s*=\s*"([^"]+)"'
if (-not $match) { throw "no __version__ in playground\__init__.py" }
$version = $match.Matches[0].Groups[1].Value
$started = Get-Date
Write-Host "Neural Network Playground $version"

$bundle = "dist\playground"
if (-not $SkipBundle) {
    if (-not $Python) {
        $Python = if (Get-Command py -ErrorAction SilentlyContinue) { "py" } else { "python" }
    }
    $pythonArgs = @()  # (an array assigned from an if expression would collapse to one string)
    if ($Python -eq "py") { $pythonArgs = @("-3") }
    Invoke-Native $Python ($pythonArgs + @("-c",
        "import struct, sys; assert struct.calcsize('P') == 8, '64-bit Python needed'; assert sys.version_info >= (3, 10), 'Python >= 3.10 needed'"))

    foreach ($old in @("build\bundle-venv", "build\pyinstaller", $bundle)) {
        if (Test-Path $old) { Remove-Item -Recurse -Force $old }
    }
    Invoke-Native $Python ($pythonArgs + @("-m", "venv", "build\bundle-venv"))
    $venvPython = Join-Path $root "build\bundle-venv\Scripts\python.exe"
    Invoke-Native $venvPython @("-m", "pip", "install", "-q", "--upgrade", "pip")
    Invoke-Native $venvPython @("-m", "pip", "install", "-q", "torch==$TorchVersion")
    Invoke-Native $venvPython @("-m", "pip", "install", "-q", "pyinstaller==$PyInstallerVersion", ".")
    Invoke-Native $venvPython @("-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", "dist", "--workpath", "build\pyinstaller", "packaging\playground.spec")
}

foreach ($exe in @("playground.exe", "playgroundw.exe")) {
    if (-not (Test-Path (Join-Path $bundle $exe))) { throw "$bundle\$exe is missing: the bundle did not build" }
}
$said = (& (Join-Path $bundle "playground.exe") --version) -join " "
if ($LASTEXITCODE -ne 0 -or $said -notmatch [regex]::Escape("playground $version")) {
    throw "smoke test: '$bundle\playground.exe --version' said '$said', not 'playground $version'"
}
$size = (Get-ChildItem -Recurse -File $bundle | Measure-Object -Sum Length).Sum
Write-Host ("bundle: {0:N0} MB in {1}" -f ($size / 1MB), $bundle)

if ($CertificateThumbprint) {
    foreach ($exe in @("playground.exe", "playgroundw.exe")) {
        Invoke-Native "signtool" @("sign", "/sha1", $CertificateThumbprint, "/fd", "sha256",
            "/tr", $TimestampUrl, "/td", "sha256", (Join-Path $bundle $exe))
    }
}

$makensis = Get-Command makensis -ErrorAction SilentlyContinue
$makensis = if ($makensis) { $makensis.Source } else {
    @("${env:ProgramFiles(x86)}\NSIS\makensis.exe", "$env:ProgramFiles\NSIS\makensis.exe") |
        Where-Object { Test-Path $_ } | Select-Object -First 1
}
if (-not $makensis) { throw "makensis not found: install NSIS 3 (nsis.sourceforge.io) or put makensis on PATH" }
$setup = "dist\playground-$version-windows-x64-setup.exe"
# relative paths given to playground.nsi are read from the project root
Invoke-Native $makensis @("/V2", "/DVERSION=$version", "/DSOURCE=$bundle", "/DEXE=playground.exe",
    "/DOUTFILE=$setup", "packaging\windows\playground.nsi")

if ($CertificateThumbprint) {
    Invoke-Native "signtool" @("sign", "/sha1", $CertificateThumbprint, "/fd", "sha256",
        "/tr", $TimestampUrl, "/td", "sha256", $setup)
}
$minutes = ((Get-Date) - $started).TotalMinutes
Write-Host ("installer: {0:N0} MB {1}, built in {2:N1} min" -f ((Get-Item $setup).Length / 1MB), $setup, $minutes)

; Neural Network Playground: the Windows installer (NSIS 3, Modern UI 2) for the PyInstaller
; one-folder bundle (dist\playground\playground.exe plus its _internal\ folder).
;
;   makensis /DVERSION=0.1.0 /DSOURCE=dist\playground packaging\windows\playground.nsi
;
; Defines, given on the command line (/DNAME=value on Windows, -DNAME=value also works on Linux):
;   VERSION    required: playground.__version__ (build-windows.ps1 reads it from playground\__init__.py)
;   SOURCE     required: the bundle folder, the one that holds EXE
;   EXE        the program in SOURCE (default playground.exe)
;   GUIEXE     what the shortcuts start (default playgroundw.exe, the spec's windowed twin of
;              playground.exe that opens no console window, when SOURCE has it; else EXE)
;   OUTFILE    the installer to write (default dist\playground-VERSION-windows-x64-setup.exe)
;   ICON       the installer's icon (default packaging\icons\playground.ico)
;   VIVERSION  VERSION as four numbers for the file's version resource (default: the first three
;              dot-separated parts of VERSION, then .0; give it when VERSION is like 0.2.0rc1)
;   PUBLISHER  shown in Add/Remove Programs (default "Neural Network Playground project")
;   LICENSE    a text file to show on a licence page (default: no licence page)
; Relative paths are taken from the project root (two folders above this file), wherever makensis
; is started from.
;
; It installs for all users into $PROGRAMFILES64\Neural Network Playground (administrator rights),
; adds a Start Menu shortcut and, when ticked, a desktop shortcut, and registers the uninstaller in
; Add/Remove Programs. The uninstaller deletes the shortcuts, the registry key and the whole
; installation folder. That is safe because the folder page only accepts a folder that is empty or
; missing, or one that already holds EXE (an earlier installation, which is replaced whole so no
; file of an older bundle is left behind); a silent install (/S /D=folder) is held to the same rule.

Unicode true
ManifestDPIAware true
RequestExecutionLevel admin
SetCompressor /SOLID lzma
SetCompressorDictSize 64

!ifndef VERSION
  !error "give the version: makensis /DVERSION=x.y.z /DSOURCE=dist\playground playground.nsi"
!endif
!ifndef SOURCE
  !error "give the bundle folder: makensis /DSOURCE=dist\playground ..."
!endif
!ifndef EXE
  !define EXE "playground.exe"
!endif
!ifndef PUBLISHER
  !define PUBLISHER "Neural Network Playground project"
!endif

!define NAME "Neural Network Playground"
!define UNINSTALLER "uninstall.exe"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\NeuralNetworkPlayground"

; Relative SOURCE, OUTFILE, ICON and LICENSE are read from the project root. makensis has already
; moved into this file's folder (unless given /NOCD), and __FILEDIR__ is the folder as typed, so it
; may be relative to where makensis started: use it only when it names this file from here.
; ("/" separates folders for makensis on both Windows and Linux.)
!if /FileExists "${__FILEDIR__}/${__FILE__}"
  !cd "${__FILEDIR__}/../.."
!else
  !cd "../.."
!endif

!ifndef OUTFILE
  !define OUTFILE "dist\playground-${VERSION}-windows-x64-setup.exe"
!endif
!ifndef ICON
  !define ICON "packaging\icons\playground.ico"
!endif
!ifndef VIVERSION
  !searchparse /noerrors "${VERSION}.0.0" "" V_MAJOR "." V_MINOR "." V_PATCH "."
  !define VIVERSION "${V_MAJOR}.${V_MINOR}.${V_PATCH}.0"
!endif

!if /FileExists "${SOURCE}\${EXE}"
!else
  !error "${SOURCE}\${EXE} is missing: build the bundle first (pyinstaller packaging\playground.spec)"
!endif
!ifndef GUIEXE
  !if /FileExists "${SOURCE}\playgroundw.exe"
    !define GUIEXE "playgroundw.exe"
  !else
    !define GUIEXE "${EXE}"
  !endif
!endif

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"
!include "WinVer.nsh"

Name "${NAME}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${NAME}"  ; an earlier installation's folder instead: see .onInit
BrandingText "${NAME} ${VERSION}"

VIProductVersion "${VIVERSION}"
VIFileVersion "${VIVERSION}"
VIAddVersionKey "ProductName" "${NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${NAME} ${VERSION} Setup"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "${PUBLISHER}"

; ---- Modern UI pages

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC

!define MUI_FINISHPAGE_RUN
!define MUI_FINISHPAGE_RUN_TEXT "Start ${NAME}"
!define MUI_FINISHPAGE_RUN_FUNCTION StartApp

!insertmacro MUI_PAGE_WELCOME
!ifdef LICENSE
  !insertmacro MUI_PAGE_LICENSE "${LICENSE}"
!endif
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

; ---- install

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP|MB_OK "${NAME} needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
  ${IfNot} ${AtLeastWin10}
    MessageBox MB_ICONSTOP|MB_OK "${NAME} needs Windows 10 or later." /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
  ; InstallDirRegKey would read the 32-bit registry view, where this key is not: read it here.
  ${If} $INSTDIR == "$PROGRAMFILES64\${NAME}"  ; not chosen with /D=
    ReadRegStr $0 HKLM "${UNINSTALL_KEY}" "InstallLocation"
    ${If} $0 != ""
    ${AndIf} ${FileExists} "$0\${EXE}"
      StrCpy $INSTDIR $0
    ${EndIf}
  ${EndIf}
FunctionEnd

; The folder to install into must be missing or empty, or hold an earlier installation of this
; program: the uninstaller deletes it whole. Pushes "ok" or "no".
Function CheckInstDir
  ${If} ${FileExists} "$INSTDIR\${EXE}"
    Push "ok"
    Return
  ${EndIf}
  FindFirst $0 $1 "$INSTDIR\*"
  ${DoWhile} $1 != ""
    ${If} $1 != "."
    ${AndIf} $1 != ".."
      FindClose $0
      Push "no"
      Return
    ${EndIf}
    FindNext $0 $1
  ${Loop}
  FindClose $0
  Push "ok"
FunctionEnd

Function .onVerifyInstDir  ; Abort here greys out the Install button
  Call CheckInstDir
  Pop $0
  ${If} $0 != "ok"
    Abort
  ${EndIf}
FunctionEnd

Section "!${NAME}" SecMain
  SectionIn RO
  Call CheckInstDir  ; again: a silent install (/S /D=...) skips the folder page and its check
  Pop $0
  ${If} $0 != "ok"
    MessageBox MB_ICONSTOP|MB_OK "$INSTDIR already holds other files. Choose an empty folder." /SD IDOK
    Abort
  ${EndIf}
  ${If} ${FileExists} "$INSTDIR\${EXE}"  ; an earlier version: replace it whole
    DetailPrint "Removing the earlier installation in $INSTDIR"
    RMDir /r "$INSTDIR"
  ${EndIf}
  SetOutPath "$INSTDIR"
  File /r "${SOURCE}\*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  CreateShortcut "$SMPROGRAMS\${NAME}.lnk" "$INSTDIR\${GUIEXE}" "" "$INSTDIR\${GUIEXE}" 0

  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${NAME}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${GUIEXE},0"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2  ; EstimatedSize is in KiB
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

Section "Desktop shortcut" SecDesktop
  CreateShortcut "$DESKTOP\${NAME}.lnk" "$INSTDIR\${GUIEXE}" "" "$INSTDIR\${GUIEXE}" 0
SectionEnd

; The installer runs elevated; start the program as the signed-in user, through Explorer.
Function StartApp
  Exec '"$WINDIR\explorer.exe" "$INSTDIR\${GUIEXE}"'
FunctionEnd

; ---- uninstall

Function un.onInit
  SetRegView 64
  SetShellVarContext all
  ${IfNot} ${FileExists} "$INSTDIR\${EXE}"
    MessageBox MB_ICONSTOP|MB_OK "$INSTDIR does not hold ${NAME}; nothing was removed." /SD IDOK
    Abort
  ${EndIf}
FunctionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\${NAME}.lnk"
  Delete "$DESKTOP\${NAME}.lnk"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  RMDir /r "$INSTDIR"
  ${If} ${FileExists} "$INSTDIR\*"
    DetailPrint "Some files in $INSTDIR were in use and are deleted at the next restart"
    RMDir /r /REBOOTOK "$INSTDIR"
  ${EndIf}
SectionEnd

package report

import "html/template"

// pageScript is the page's only script: the "problems only" filter. The
// page's Content-Security-Policy allows it by its hash, and nothing else.
const pageScript = `
document.getElementById("only-problems").addEventListener("change", function (ev) {
  document.body.classList.toggle("only-problems", ev.target.checked);
});
`

// pageCSS is the page's style sheet, inline.
const pageCSS = `
:root { --pass: #1a7f37; --fail: #cf222e; --miss: #9a6700; --error: #8250df; --notrun: #6e7781; --differ: #bc4c00; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 16px 24px; position: sticky; top: 0; z-index: 1; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: #59636e; font-size: 12px; }
.meta code { font-size: 12px; }
.counts { display: flex; gap: 16px; margin: 10px 0 6px; flex-wrap: wrap; align-items: center; }
.count { font-weight: 600; }
.count b { font-size: 18px; }
.count.passed { color: var(--pass); } .count.failed { color: var(--fail); } .count.missed { color: var(--miss); }
.count.error { color: var(--error); } .count.not-run { color: var(--notrun); } .count.differed { color: var(--differ); }
.bar { display: flex; height: 8px; border-radius: 4px; overflow: hidden; background: #eaeef2; }
.bar span.passed { background: var(--pass); } .bar span.failed { background: var(--fail); } .bar span.missed { background: var(--miss); }
.bar span.error { background: var(--error); } .bar span.not-run { background: var(--notrun); } .bar span.differed { background: var(--differ); }
label.filter { font-size: 12px; color: #59636e; margin-left: auto; }
main { padding: 16px 24px; }
body.only-problems section.check.passed { display: none; }
section.check { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--notrun); border-radius: 6px; margin: 0 0 14px; padding: 10px 14px; }
section.check.passed { border-left-color: var(--pass); } section.check.failed { border-left-color: var(--fail); }
section.check.missed { border-left-color: var(--miss); } section.check.error { border-left-color: var(--error); }
section.check.differed { border-left-color: var(--differ); }
h2 { font-size: 15px; margin: 0; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
h2 .name { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
.badge { font-size: 11px; font-weight: 700; text-transform: uppercase; padding: 1px 6px; border-radius: 10px; color: #fff; background: var(--notrun); }
.passed .badge { background: var(--pass); } .failed .badge { background: var(--fail); } .missed .badge { background: var(--miss); }
.error .badge { background: var(--error); } .differed .badge { background: var(--differ); }
.where { color: #59636e; font-size: 12px; font-weight: 400; }
ul.problems { margin: 8px 0; padding-left: 18px; color: var(--fail); }
ul.problems li { white-space: pre-wrap; word-break: break-word; }
.step { margin-top: 10px; border-top: 1px dashed var(--line); padding-top: 8px; }
.request { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
.verdicts { display: grid; grid-template-columns: 1fr; gap: 8px; margin: 6px 0; }
.verdicts.side { grid-template-columns: 1fr 1fr; }
.verdict { border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; }
.verdict h3 { font-size: 11px; text-transform: uppercase; color: #59636e; margin: 0 0 2px; }
.verdict .summary { font-weight: 600; }
.verdict.allowed .summary { color: var(--pass); } .verdict.blocked .summary { color: var(--fail); } .verdict.missed .summary { color: var(--miss); }
.unrecorded { font-size: 12px; color: var(--miss); font-style: italic; }
.console { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; background: #fff8f8; border-left: 3px solid var(--fail); padding: 4px 6px; margin-top: 4px; white-space: pre-wrap; word-break: break-word; }
.readable { font-size: 12px; color: #59636e; }
.note { font-size: 13px; margin: 6px 0; }
.note b { color: #59636e; font-weight: 600; }
.exchanges { display: flex; flex-direction: column; gap: 6px; margin: 6px 0; }
.exchange { border: 1px solid var(--line); border-radius: 4px; }
.exchange > .title { background: #f6f8fa; padding: 3px 8px; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
.exchange > .title .kind { font-weight: 700; text-transform: uppercase; font-size: 11px; margin-right: 6px; }
.exchange .cols { display: grid; grid-template-columns: 1fr 1fr; }
.exchange .cols > div { padding: 4px 8px; min-width: 0; }
.exchange .cols > div + div { border-left: 1px solid var(--line); }
.exchange h4 { font-size: 11px; color: #59636e; margin: 0 0 2px; text-transform: uppercase; }
table.headers { border-collapse: collapse; width: 100%; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
table.headers td { padding: 1px 4px; vertical-align: top; word-break: break-all; }
table.headers td.hname { white-space: nowrap; color: #59636e; width: 1%; }
tr.decides td, .status.decides { background: #ffebe9; outline: 2px solid var(--fail); font-weight: 700; }
tr.decides td.hname { color: var(--fail); }
tr.missing td.hval { font-style: italic; }
pre.body { margin: 4px 0 0; font-size: 11px; max-height: 8em; overflow: auto; background: #f6f8fa; padding: 4px; white-space: pre-wrap; word-break: break-all; }
.fixes { margin: 8px 0 0; padding: 6px 10px; background: #dafbe1; border-radius: 4px; font-size: 13px; }
.fixes ul { margin: 2px 0; padding-left: 18px; }
.fixes li { word-break: break-word; }
`

// pageTemplate renders htmlData. html/template escapes every value by its
// context (text, attribute, URL), so what a check file, a server or a
// cassette says is shown, never interpreted.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"verdictIn": func(label string, v *htmlVerdict) verdictBox { return verdictBox{label, v} },
	"replayLabel": func(side bool) string {
		if side {
			return "replay"
		}
		return "Chrome's verdict"
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>` + pageCSS + `</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<div class="meta">
{{- if .ChecksPath}}checks <code>{{.ChecksPath}}</code>{{end}}
{{- if .Cassette}} · cassette <code>{{.Cassette}}</code>{{end}}
{{- if .Browser}} · {{.Browser}}{{end}}
{{- if .SideBySide}} · live and replay side by side{{end}}</div>
<div class="counts" id="summary" data-total="{{.Total}}">
<span class="count total"><b>{{.Total}}</b> checks</span>
{{- range .Counts}}
<span class="count {{.Class}}" data-count="{{.Class}}"><b>{{.N}}</b> {{.Label}}</span>
{{- end}}
<label class="filter"><input type="checkbox" id="only-problems"> problems only</label>
</div>
<div class="bar">{{range .Counts}}{{if .N}}<span class="{{.Class}}" style="flex-grow: {{.N}}"></span>{{end}}{{end}}</div>
</header>
<main>
{{- range .Checks}}
<section class="check {{.Class}}" id="{{.ID}}" data-status="{{.Status}}">
<h2><span class="badge">{{.Status}}</span><span class="name">{{.Name}}</span>
<span class="where">{{if .Page}}page {{.Page}}{{end}}{{if .Line}} · line {{.Line}}{{end}}{{if .Duration}} · {{.Duration}}{{end}}</span></h2>
{{- if .Problems}}
<ul class="problems">{{range .Problems}}<li>{{.}}</li>{{end}}</ul>
{{- end}}
{{- $side := $.SideBySide}}
{{- range .Steps}}
<div class="step" data-step="{{.N}}">
{{- if .Request}}<div class="request">{{.Prefix}}{{.Request}}</div>{{end}}
<div class="verdicts{{if $side}} side{{end}}">
{{- if $side}}{{template "verdict" (verdictIn "live" .Live)}}{{end}}
{{- template "verdict" (verdictIn (replayLabel $side) .Replay)}}
</div>
{{- if .Rule}}<div class="note why"><b>why:</b> {{.Rule}}</div>{{end}}
{{- if .Miss}}<div class="note"><b>note:</b> the cassette has no answer for a request Chrome sends</div>{{end}}
{{- if .Exchanges}}
<div class="exchanges">
{{- range .Exchanges}}
<div class="exchange {{.Kind}}" data-kind="{{.Kind}}">
<div class="title"><span class="kind">{{.Kind}}</span>{{.Method}} {{.URL}}{{if ge .Interaction 0}} · interaction #{{.Interaction}}{{end}}</div>
<div class="cols">
<div><h4>request headers</h4><table class="headers">{{range .ReqHeaders}}<tr><td class="hname">{{.Name}}</td><td class="hval">{{.Value}}</td></tr>{{end}}</table></div>
<div>{{if .Unrecorded}}<h4>response</h4><div class="unrecorded">not in the cassette (replay miss)</div>{{else}}<h4>response <span class="status{{if .StatusDecides}} decides{{end}}">{{.Status}}</span></h4>{{end}}<table class="headers">{{range .RespHeaders}}<tr class="{{if .Decides}}decides{{end}}{{if .Missing}} missing{{end}}"><td class="hname">{{.Name}}</td><td class="hval">{{.Value}}</td></tr>{{end}}</table>
{{- if .Body}}<pre class="body">{{.Body}}</pre>{{end}}</div>
</div>
</div>
{{- end}}
</div>
{{- end}}
</div>
{{- end}}
{{- if .Note}}<div class="note"><b>exchanges:</b> {{.Note}}</div>{{end}}
{{- if .Disagree}}<div class="note"><b>warning:</b> replay and prediction disagree: {{.Disagree}}</div>{{end}}
{{- if .Fixes}}
<div class="fixes"><b>fix</b><ul>{{range .Fixes}}<li>{{.}}</li>{{end}}</ul>{{if .Stack}}<div><b>stack</b> {{.Stack}}</div>{{end}}</div>
{{- end}}
</section>
{{- end}}
</main>
<script>{{.Script}}</script>
</body>
</html>
{{define "verdict"}}
<div class="verdict {{if .V}}{{if .V.Miss}}missed{{else if .V.Allowed}}allowed{{else}}blocked{{end}}{{end}}" data-run="{{.Label}}">
<h3>{{.Label}}</h3>
{{- if .V}}
<div class="summary">{{.V.Summary}}</div>
{{- if .V.Console}}<div class="console">{{.V.Console}}</div>{{end}}
{{- if .V.JSError}}<div class="readable">script saw: {{.V.JSError}}</div>{{end}}
{{- if .V.Readable}}<div class="readable">readable headers: {{.V.Readable}}</div>{{end}}
{{- else}}<div class="summary">-</div>{{end}}
</div>
{{- end}}`))

// verdictBox is one verdict box of a step: its label and the verdict.
type verdictBox struct {
	Label string
	V     *htmlVerdict
}

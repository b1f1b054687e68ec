package predict_test

import (
	"strings"
	"testing"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/predict"
)

// FuzzPredict feeds arbitrary checks and response headers to the predictor:
// it must never panic, and a blocked verdict always has a console message
// or a JS error.
func FuzzPredict(f *testing.F) {
	for _, tc := range cases {
		var hn, hv []string
		for _, h := range tc.req.Headers {
			hn, hv = append(hn, h.Name), append(hv, h.Value)
		}
		pre, act := "", ""
		for _, h := range tc.pre {
			pre += h.Name + ":" + h.Value + "\n"
		}
		for _, h := range tc.act {
			act += h.Name + ":" + h.Value + "\n"
		}
		f.Add(tc.req.URL, tc.req.Method, strings.Join(hn, "\n"), strings.Join(hv, "\n"), string(tc.req.Credentials), string(tc.req.Mode), string(tc.req.API), tc.req.Body, pre, act, tc.preStatus)
	}
	f.Fuzz(func(t *testing.T, url, method, names, values, cred, mode, api, body, pre, act string, status int) {
		req := checks.Request{URL: url, Method: method, Credentials: checks.Credentials(cred), Mode: checks.Mode(mode), API: checks.API(api), Body: body}
		vs := strings.Split(values, "\n")
		for i, n := range strings.Split(names, "\n") {
			if i < len(vs) {
				req.Headers = append(req.Headers, checks.Header{Name: n, Value: vs[i]})
			}
		}
		srv := &fixed{pre: cassettes.Response{Status: status, Headers: lines(pre)}, act: cassettes.Response{Status: status, Headers: lines(act)}}
		c := checks.Check{Page: page, Steps: []checks.Step{{Request: req}, {Request: req}}}
		res := predict.Predict(c, srv)
		for _, st := range res.Steps {
			v := st.Verdict
			if !v.Allowed && v.Console == "" && v.JSError == "" && st.Unsupported == "" {
				t.Fatalf("blocked without console or JS error: %+v (rule %q)", v, st.Rule)
			}
		}
	})
}

func lines(s string) cassettes.Headers {
	var out cassettes.Headers
	for l := range strings.SplitSeq(s, "\n") {
		if n, v, ok := strings.Cut(l, ":"); ok {
			out = append(out, cassettes.Header{Name: n, Value: v})
		}
	}
	return out
}

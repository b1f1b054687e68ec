package har_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/har"
)

// TestChecksRequest: the request of each check written from a HAR's
// cross-origin request, answered (in the cassette) or not.
func TestChecksRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		request      cassettes.Request
		answered     bool
		resourceType string
		want         checks.Request
	}{
		{
			name:     "answered GET",
			request:  cassettes.Request{Method: "GET", URL: api + "/items?page=2", Headers: hs("Origin", app, "Accept", "*/*")},
			answered: true,
			want:     req("GET", api+"/items?page=2", "same-origin"),
		},
		{
			name: "script headers and a text body",
			request: cassettes.Request{Method: "PUT", URL: api + "/items/1",
				Headers: hs("Origin", app, "User-Agent", "Chrome", "Content-Type", "application/json", "Authorization", "Bearer t"),
				Body:    cassettes.Body(`{"qty":2}`)},
			want: checks.Request{URL: api + "/items/1", Method: "PUT", Credentials: "same-origin", Mode: "cors", API: "fetch", Cache: "default", Redirect: "follow",
				Headers: []checks.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bearer t"}},
				Body:    `{"qty":2}`},
		},
		{
			name:     "a binary body is left out",
			request:  cassettes.Request{Method: "POST", URL: api + "/upload", Headers: hs("Origin", app), Body: cassettes.Body("\xff\xfe")},
			answered: true,
			want:     req("POST", api+"/upload", "same-origin"),
		},
		{
			name:     "answered, with a Cookie: credentials include",
			request:  cassettes.Request{Method: "GET", URL: api + "/cart", Headers: hs("Origin", app, "Cookie", "session=1")},
			answered: true,
			want:     req("GET", api+"/cart", "include"),
		},
		{
			name:    "unanswered, with a Cookie: credentials include",
			request: cassettes.Request{Method: "GET", URL: api + "/cart", Headers: hs("Origin", app, "Cookie", "session=1")},
			want:    req("GET", api+"/cart", "include"),
		},
		{
			name:         "an XHR",
			request:      cassettes.Request{Method: "GET", URL: api + "/legacy", Headers: hs("Origin", app)},
			answered:     true,
			resourceType: "XHR",
			want:         checks.Request{URL: api + "/legacy", Method: "GET", Credentials: "same-origin", Mode: "cors", API: "xhr", Cache: "default", Redirect: "follow"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cas := &cassettes.Cassette{Interactions: []cassettes.Interaction{ia("GET", app+"/", nil, nil)}}
			q := har.Request{Entry: 1, Interaction: -1, Page: app, Request: tt.request, ResourceType: tt.resourceType}
			if tt.answered {
				q.Interaction = len(cas.Interactions)
				cas.Interactions = append(cas.Interactions, cassettes.Interaction{Kind: cassettes.KindActual, Request: tt.request,
					Response: cassettes.Response{Status: 200}})
			}
			set := har.Checks(cas, har.Report{Requests: []har.Request{q}})
			require.Equal(t, 1, set.Len())
			if tt.answered {
				assert.Empty(t, set.Extra)
			} else {
				assert.Len(t, set.Extra, 1)
			}
			f := set.File(nil)
			require.Len(t, f.Checks, 1)
			require.Len(t, f.Checks[0].Steps, 1)
			assert.Equal(t, tt.want, f.Checks[0].Steps[0].Request)
			assert.Zero(t, f.Checks[0].Steps[0].Expect, "a HAR holds no verdict")
		})
	}
}

// TestChecksFile: what Checks does to the cassette, and the check file's
// names and pages.
func TestChecksFile(t *testing.T) {
	t.Parallel()
	actual := func(method, url, page string, kv ...string) cassettes.Interaction {
		return ia(method, url, append(hs("Origin", page), hs(kv...)...), nil)
	}
	cas := &cassettes.Cassette{Interactions: []cassettes.Interaction{
		ia("GET", app+"/", hs("Cookie", "theme=dark"), nil),
		actual("GET", api+"/items?page=1", app, "Cookie", "session=1"),
		actual("GET", api+"/items?page=2", app),
		actual("GET", "http://other.test/x", "http://admin.test"),
	}}
	unanswered := cassettes.Request{Method: "PUT", URL: api + "/items/1", Headers: hs("Authorization", "Bearer secret")}
	rep := har.Report{Requests: []har.Request{
		{Entry: 1, Interaction: 1, Page: app, Request: cas.Interactions[1].Request},
		{Entry: 2, Interaction: 2, Page: app, Request: cas.Interactions[2].Request},
		{Entry: 3, Interaction: -1, Page: app, Request: unanswered},
		{Entry: 4, Interaction: 3, Page: "http://admin.test", Request: cas.Interactions[3].Request},
	}}
	set := har.Checks(cas, rep)

	assert.Equal(t, 2, set.CookiesDropped, "the page load's Cookie and the API's")
	for i, it := range cas.Interactions {
		_, ok := it.Request.Headers.Get("Cookie")
		assert.False(t, ok, "interaction %d keeps its Cookie", i)
	}
	assert.Equal(t, 4, set.Len())

	// The checks are written from the cassette and Extra as they are when
	// File is called: redacting them redacts the check file.
	require.Len(t, set.Extra, 1)
	set.Extra[0].Headers[0].Value = "Bearer " + cassettes.RedactedPrefix + "1"
	assert.Equal(t, "Bearer secret", unanswered.Headers[0].Value, "Extra is a copy")
	cas.Interactions[2].Request.URL = api + "/items?page=" + cassettes.RedactedPrefix + "2"

	f := set.File([]cassettes.OriginMapping{{From: "http://admin.test", To: "http://localhost:5173"}})
	type check struct{ name, page, url, credentials, authorization string }
	var got []check
	for _, c := range f.Checks {
		r := c.Steps[0].Request
		var auth string
		for _, h := range r.Headers {
			if h.Name == "Authorization" {
				auth = h.Value
			}
		}
		got = append(got, check{c.Name, c.Page, r.URL, string(r.Credentials), auth})
	}
	assert.Equal(t, []check{
		{"GET api.test/items", app, api + "/items?page=1", "include", ""},
		{"GET api.test/items (2)", app, api + "/items?page=" + cassettes.RedactedPrefix + "2", "same-origin", ""},
		{"PUT api.test/items/1", app, api + "/items/1", "same-origin", "Bearer " + cassettes.RedactedPrefix + "1"},
		{"GET other.test/x", "http://localhost:5173", "http://other.test/x", "same-origin", ""},
	}, got)
	assert.Equal(t, app, f.Page, "the most used page")
	assert.Equal(t, 1, f.Version)
}

func TestChecksFilePageTie(t *testing.T) {
	t.Parallel()
	rep := har.Report{Requests: []har.Request{
		{Interaction: -1, Page: "http://b.test", Request: cassettes.Request{Method: "GET", URL: api + "/1"}},
		{Interaction: -1, Page: "http://a.test", Request: cassettes.Request{Method: "GET", URL: api + "/2"}},
	}}
	f := har.Checks(&cassettes.Cassette{}, rep).File(nil)
	assert.Equal(t, "http://b.test", f.Page, "the first one on ties")
}

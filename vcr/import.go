package vcr

import (
	"fmt"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/har"
)

// Import configures ImportHAR.
type Import struct {
	// Cassette is where the cassette is written. Required.
	Cassette string
	// Checks, when set, is where the check file is written: one check per
	// cross-origin request a page script made.
	Checks string
	// OriginMap maps the HAR's page origins to the ones used when
	// replaying; it is recorded in the cassette's meta.
	OriginMap []cassettes.OriginMapping
	// Save says how secrets are handled (Save); its Extra is ignored.
	Save SaveOptions
	// Version is the corsvcr version written into the cassette.
	Version string
}

// Imported is what ImportHAR did.
type Imported struct {
	Report         har.Report
	Interactions   int
	CookiesDropped int          // request Cookie headers dropped (har.CheckSet)
	Checks         *checks.File // the check file written; nil without Import.Checks
}

// ImportHAR turns the HAR file at path into a cassette and, with
// im.Checks, a check file, redacting both (their secrets are scanned
// together: nothing is written when one remains) and writing each
// atomically. When writing is refused, it returns what was imported (with
// no Checks) along with the error.
func ImportHAR(path string, im Import) (*Imported, error) {
	data, err := har.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vcr: import: %w", err)
	}
	cas, rep, err := har.Import(path, data)
	if err != nil {
		return nil, err
	}
	cas.Meta.Corsvcr = im.Version
	cas.Meta.OriginMap = im.OriginMap
	set := har.Checks(cas, rep)
	if im.Checks != "" && set.Len() == 0 {
		return nil, fmt.Errorf("vcr: import: %q has no cross-origin request a page script made: no check to write", path)
	}
	// The check file is written from the cassette and set.Extra only, so
	// scanning them covers it.
	opts := im.Save
	opts.Extra = set.Extra
	out := &Imported{Report: rep, Interactions: len(cas.Interactions), CookiesDropped: set.CookiesDropped}
	if err := Save(im.Cassette, cas, opts); err != nil {
		return out, err
	}
	if im.Checks != "" {
		out.Checks = set.File(im.OriginMap)
		var so []checks.SaveOption
		if opts.KeepSecrets {
			so = append(so, checks.WithSecrets())
		}
		if err := checks.Save(im.Checks, out.Checks, so...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

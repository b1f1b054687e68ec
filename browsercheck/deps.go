package browsercheck

import (
	_ "github.com/chromedp/cdproto/audits" // TODO(browsercheck): remove once used
	_ "github.com/chromedp/chromedp"       // TODO(browsercheck): remove once used
	_ "go.yaml.in/yaml/v3"                 // TODO(browsercheck): remove once used
)

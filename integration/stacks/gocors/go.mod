module github.com/corsvcr/corsvcr/integration/stacks/gocors

go 1.26.0

require (
	github.com/jub0bs/cors v0.8.0
	github.com/rs/cors v1.11.1
)

require (
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

# crmflow: one static binary (pure-Go SQLite, no cgo).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/crmflow ./cmd/crmflow

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/crmflow /crmflow
EXPOSE 8080
ENTRYPOINT ["/crmflow"]

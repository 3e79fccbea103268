"""What people see: the certificate as a PDF with a QR code, and server-rendered HTML pages."""

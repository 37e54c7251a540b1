-- The digital music shop in MySQL form, with PascalCase names as such schemas often have.

CREATE TABLE `MediaType` (
  `MediaTypeId` INT NOT NULL AUTO_INCREMENT,
  `Name` VARCHAR(120),
  CONSTRAINT `PK_MediaType` PRIMARY KEY (`MediaTypeId`)
);

CREATE TABLE `Genre` (
  `GenreId` INT NOT NULL AUTO_INCREMENT,
  `Name` VARCHAR(120),
  CONSTRAINT `PK_Genre` PRIMARY KEY (`GenreId`)
);

CREATE TABLE `Artist` (
  `ArtistId` INT NOT NULL AUTO_INCREMENT,
  `Name` VARCHAR(120),
  CONSTRAINT `PK_Artist` PRIMARY KEY (`ArtistId`)
);

CREATE TABLE `Album` (
  `AlbumId` INT NOT NULL AUTO_INCREMENT,
  `Title` VARCHAR(160) NOT NULL,
  `ArtistId` INT NOT NULL,
  CONSTRAINT `PK_Album` PRIMARY KEY (`AlbumId`),
  CONSTRAINT `FK_AlbumArtist` FOREIGN KEY (`ArtistId`) REFERENCES `Artist` (`ArtistId`)
);

CREATE TABLE `Track` (
  `TrackId` INT NOT NULL AUTO_INCREMENT,
  `Name` VARCHAR(200) NOT NULL,
  `AlbumId` INT,
  `MediaTypeId` INT NOT NULL,
  `GenreId` INT,
  `Composer` VARCHAR(220),
  `Milliseconds` INT NOT NULL,
  `Bytes` INT,
  `UnitPrice` DECIMAL(10,2) NOT NULL,
  `Explicit` BOOLEAN NOT NULL DEFAULT FALSE,
  CONSTRAINT `PK_Track` PRIMARY KEY (`TrackId`),
  CONSTRAINT `FK_TrackAlbum` FOREIGN KEY (`AlbumId`) REFERENCES `Album` (`AlbumId`),
  CONSTRAINT `FK_TrackGenre` FOREIGN KEY (`GenreId`) REFERENCES `Genre` (`GenreId`),
  CONSTRAINT `FK_TrackMediaType` FOREIGN KEY (`MediaTypeId`) REFERENCES `MediaType` (`MediaTypeId`),
  CONSTRAINT `CK_TrackPrice` CHECK (`UnitPrice` BETWEEN 0.5 AND 3)
);

CREATE TABLE `Playlist` (
  `PlaylistId` INT NOT NULL AUTO_INCREMENT,
  `Name` VARCHAR(120),
  CONSTRAINT `PK_Playlist` PRIMARY KEY (`PlaylistId`)
);

CREATE TABLE `PlaylistTrack` (
  `PlaylistId` INT NOT NULL,
  `TrackId` INT NOT NULL,
  CONSTRAINT `PK_PlaylistTrack` PRIMARY KEY (`PlaylistId`, `TrackId`),
  CONSTRAINT `FK_PlaylistTrackPlaylist` FOREIGN KEY (`PlaylistId`) REFERENCES `Playlist` (`PlaylistId`),
  CONSTRAINT `FK_PlaylistTrackTrack` FOREIGN KEY (`TrackId`) REFERENCES `Track` (`TrackId`)
);

CREATE TABLE `Employee` (
  `EmployeeId` INT NOT NULL AUTO_INCREMENT,
  `LastName` VARCHAR(20) NOT NULL,
  `FirstName` VARCHAR(20) NOT NULL,
  `Title` VARCHAR(60),
  `ReportsTo` INT,
  `BirthDate` DATETIME,
  `HireDate` DATETIME,
  `Address` VARCHAR(70),
  `City` VARCHAR(40),
  `Country` VARCHAR(60),
  `Phone` VARCHAR(24),
  `Email` VARCHAR(80),
  CONSTRAINT `PK_Employee` PRIMARY KEY (`EmployeeId`),
  CONSTRAINT `FK_EmployeeReportsTo` FOREIGN KEY (`ReportsTo`) REFERENCES `Employee` (`EmployeeId`)
);

CREATE TABLE `Customer` (
  `CustomerId` INT NOT NULL AUTO_INCREMENT,
  `FirstName` VARCHAR(40) NOT NULL,
  `LastName` VARCHAR(20) NOT NULL,
  `Company` VARCHAR(80),
  `City` VARCHAR(40),
  `Country` VARCHAR(60),
  `Email` VARCHAR(60) NOT NULL,
  `SupportRepId` INT,
  `Tier` ENUM('standard', 'plus', 'premium') NOT NULL DEFAULT 'standard',
  CONSTRAINT `PK_Customer` PRIMARY KEY (`CustomerId`),
  CONSTRAINT `FK_CustomerSupportRep` FOREIGN KEY (`SupportRepId`) REFERENCES `Employee` (`EmployeeId`)
);

CREATE TABLE `Invoice` (
  `InvoiceId` INT NOT NULL AUTO_INCREMENT,
  `CustomerId` INT NOT NULL,
  `InvoiceDate` DATETIME NOT NULL,
  `BillingCity` VARCHAR(40),
  `BillingCountry` VARCHAR(60),
  `Total` DECIMAL(10,2) NOT NULL,
  CONSTRAINT `PK_Invoice` PRIMARY KEY (`InvoiceId`),
  CONSTRAINT `FK_InvoiceCustomer` FOREIGN KEY (`CustomerId`) REFERENCES `Customer` (`CustomerId`)
);

CREATE TABLE `InvoiceLine` (
  `InvoiceLineId` INT NOT NULL AUTO_INCREMENT,
  `InvoiceId` INT NOT NULL,
  `TrackId` INT NOT NULL,
  `UnitPrice` DECIMAL(10,2) NOT NULL,
  `Quantity` INT NOT NULL,
  CONSTRAINT `PK_InvoiceLine` PRIMARY KEY (`InvoiceLineId`),
  CONSTRAINT `FK_InvoiceLineInvoice` FOREIGN KEY (`InvoiceId`) REFERENCES `Invoice` (`InvoiceId`),
  CONSTRAINT `FK_InvoiceLineTrack` FOREIGN KEY (`TrackId`) REFERENCES `Track` (`TrackId`),
  CONSTRAINT `CK_InvoiceLineQuantity` CHECK (`Quantity` > 0)
);

CREATE INDEX `IFK_InvoiceLineTrackId` ON `InvoiceLine` (`TrackId`);

import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/platform';
import { Authenticator } from './authenticator';
import { TokenVerifier } from './token-verifier';

/** Who sends a request: the bearer token verified once per request (Authenticator), for both global guards. */
@Module({
  providers: [{ provide: TokenVerifier, useFactory: (config: AppConfig) => new TokenVerifier(config), inject: [APP_CONFIG] }, Authenticator],
  exports: [Authenticator],
})
export class AuthModule {}
